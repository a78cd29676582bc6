// `model-gateway replicas add|remove` against a real gateway (for setups
// without DNS): an added replica receives traffic, a removed one stops
// receiving it, each change is a new revision in the audit log, and a replica
// the version lacks is refused with a clear error.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { recordsIn } from '../support/discovery-fleet.js'
import { startLoadLoop } from '../support/load.js'
import { eventually } from '../support/eventually.js'
import { admin, TOKEN } from '../support/redis-fleet.js'

const CLI = join(process.cwd(), 'dist', 'gateway', 'cli', 'main.js')
let a: ModelProcess
let b: ModelProcess
let gw: GatewayProcess
let dir: string
let file: string

beforeAll(async () => {
  [a, b] = await Promise.all([startModel({ version: 'v1' }), startModel({ version: 'v1' })]) as [ModelProcess, ModelProcess]
  dir = await mkdtemp(join(tmpdir(), 'replicas-cli-'))
  file = join(dir, 'records.ndjson')
  gw = await startGatewayProcess({
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    logging: { sink: 'file', file, flushIntervalMs: 50 },
    models: { fraud: { versions: { v1: { replicas: [a.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, sampling: { rate: 1 } } }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all([a?.stop(), b?.stop()])
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

function cli (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args, '--admin-url', gw.adminUrl!, '--token', TOKEN], (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : (err as { code?: number }).code ?? -1, stdout, stderr })
    })
  })
}

async function servedBy (prefix: string, n: number): Promise<Set<string>> {
  const answers = await startLoadLoop(gw.url, { prefix, maxRequests: n, concurrency: 2 }).done()
  expect(answers.every(x => x.status === 200)).toBe(true)
  return eventually(async () => {
    const rs = (await recordsIn(file)).filter(r => r.request_id.startsWith(`${prefix}-`))
    expect(rs.length).toBe(n)
    return new Set(rs.map(r => r.replica))
  })
}

describe('replicas add and remove with the CLI', () => {
  it('sends traffic to an added replica and none to a removed one, each change audited', async () => {
    const add = await cli(['replicas', 'add', 'fraud', 'v1', b.url])
    expect(add).toMatchObject({ code: 0, stderr: '' })
    expect(add.stdout).toContain('fraud: added 1 replica(s) to v1; revision 2')
    expect(await servedBy('added', 60)).toEqual(new Set([a.url, b.url]))

    const remove = await cli(['replicas', 'remove', 'fraud', 'v1', a.url])
    expect(remove).toMatchObject({ code: 0, stderr: '' })
    expect(remove.stdout).toContain('fraud: removed 1 replica(s) from v1; revision 3')
    expect(await servedBy('removed', 40)).toEqual(new Set([b.url]))

    const entries = (await admin(gw, 'GET', '/admin/audit?limit=2')).json.entries
    expect(entries.map(e => [e.action, e.actor, e.revisionAfter, e.detail])).toEqual([
      ['remove-replicas', 'ops', 3, { version: 'v1', add: [], remove: [a.url] }],
      ['add-replicas', 'ops', 2, { version: 'v1', add: [b.url], remove: [] }]
    ])
  }, 60_000)

  it('refuses to remove a replica the version lacks, naming it, with exit code 1', async () => {
    const r = await cli(['replicas', 'remove', 'fraud', 'v1', 'http://127.0.0.1:1'])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`model-gateway replicas: 400 GW_INVALID_ARGUMENT: version "v1" of "fraud" has no replica http://127.0.0.1:1 (have: ${b.url})\n`)
  })
})
