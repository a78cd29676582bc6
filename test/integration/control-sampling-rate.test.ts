// Issue 10: a version registered at runtime gets its own sampling rate through
// the CLI (and so the admin API): stored in the routing state, audited, and
// applied by the gateway's sampler at once. Real gateway and model processes; the
// embedded file sink shows which requests were recorded.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { CLI, INFER_BODY } from './pipeline-harness.js'

const run = promisify(execFile)
const TOKEN = 'sampling-admin-token-0123456789'

let models: ModelProcess[] = []
let gw: GatewayProcess | undefined
let dir = ''

beforeAll(async () => {
  models = [await startModel({ version: 'v1' }), await startModel({ version: 'v3' })]
  dir = await mkdtemp(join(tmpdir(), 'sampling-rate-'))
  gw = await startGatewayProcess({
    gateway: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0, tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    logging: { sink: 'file', file: join(dir, 'log.ndjson'), flushIntervalMs: 3_600_000, rollupFlushMs: 3_600_000 },
    models: {
      fraud: {
        versions: { v1: { replicas: [models[0]!.url] } },
        release: { strategy: 'canary', stable: 'v1' },
        allowVersionHeader: true,
        healthCheck: { enabled: false },
        sampling: { rate: 0, alwaysSampleErrors: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.allSettled(models.map(m => m.stop()))
  await rm(dir, { recursive: true, force: true })
})

async function cli (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args, '--admin-url', gw!.adminUrl!], { env: { ...process.env, MODEL_GATEWAY_TOKEN: TOKEN } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

async function score (version: string, id: string): Promise<void> {
  const res = await fetch(`${gw!.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-model-version': version, 'x-request-id': id }, body: INFER_BODY })
  await res.arrayBuffer()
  expect(res.status).toBe(200)
}

describe('runtime sampling rate', () => {
  it('model-gateway sampling sets a registered canary to rate 1: all its requests are recorded with sample_rate 1, none of the stable version\'s, and the change is audited', async () => {
    expect((await cli('register', 'fraud', 'v3', models[1]!.url)).code).toBe(0)
    const set = await cli('sampling', 'fraud', 'v3', '--rate', '1')
    expect(set.stderr).toBe('')
    expect(set.stdout).toContain('fraud: v3 sampled at 1')
    for (let i = 0; i < 20; i++) await score('v3', `canary-${i}`)
    for (let i = 0; i < 20; i++) await score('v1', `stable-${i}`)
    const audit = await cli('audit', '--limit', '1', '--json')
    const entry = (JSON.parse(audit.stdout) as { entries: Array<{ action: string, detail: { version: string, rate: number }, after: { versions: Record<string, { sampleRate?: number }> } }> }).entries[0]!
    expect([entry.action, entry.detail, entry.after.versions.v3!.sampleRate]).toEqual(['set-sampling', { version: 'v3', rate: 1 }, 1])

    expect((await gw!.stop()).code).toBe(0)
    const rows = (await readFile(join(dir, 'log.ndjson'), 'utf8')).trim().split('\n').map(l => JSON.parse(l) as { kind: string, row: { version: string, sample_rate: number, request_id: string } }).filter(l => l.kind === 'records').map(l => l.row)
    expect(rows.map(r => [r.version, r.sample_rate])).toEqual(Array.from({ length: 20 }, () => ['v3', 1]))
  }, 60_000)

  it('refuses a rate outside 0..1 with a usage error naming it', async () => {
    const r = await run(process.execPath, [CLI, 'sampling', 'fraud', 'v3', '--rate', '1.5']).catch((err: unknown) => err as { code: number, stderr: string })
    expect('code' in r ? r.code : 0).toBe(2)
    expect((r as { stderr: string }).stderr).toContain('--rate must be a number from 0 to 1')
  })
})
