import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess } from '../support/gateway-process.js'
import { adminCall, splitOf, startSetup, TOKEN, type ReleaseSetup } from './release-harness.js'

// Bad rollout plans are refused before anything changes, with the file (or
// body field), the path inside the plan and the reason.

const CLI = join(process.cwd(), 'dist', 'gateway', 'cli', 'main.js')

function cli (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise(resolve => {
    execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : (err as { code?: number }).code ?? 1, stdout, stderr })
    })
  })
}

describe('bad rollout plans', () => {
  let s: ReleaseSetup
  let dir: string
  beforeAll(async () => {
    s = await startSetup()
    dir = await mkdtemp(join(tmpdir(), 'plans-'))
  })
  afterAll(async () => {
    await s?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('the CLI refuses a plan file whose weights do not grow, naming the file and field, and changes nothing', async () => {
    const file = join(dir, 'shrinking.yaml')
    await writeFile(file, 'steps:\n  - { weight: 10%, bake: 1m }\n  - { weight: 5%, bake: 1m }\n')
    const r = await cli(['rollout', 'start', 'fraud', 'v3', '--plan', file, '--admin-url', s.gw.adminUrl!, '--token', TOKEN])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`model-gateway rollout: invalid rollout plan: ${file}: steps[1].weight: 5% must be more than the previous step's 10% (weights only grow)\n`)
    expect(await splitOf(s.gw)).toEqual({ v1: 10_000 })
  })

  it('the admin API refuses an unknown check with 400 GW_INVALID_ARGUMENT naming body.plan and the check', async () => {
    const res = await adminCall(s.gw, 'POST', '/admin/models/fraud/rollout', { version: 'v3', plan: { steps: [{ weight: '5%', bake: '1m' }], checks: { accuracy: {} } } })
    expect(res.status).toBe(400)
    expect(res.json.code).toBe('GW_INVALID_ARGUMENT')
    expect(res.json.error).toBe('invalid rollout plan: body.plan: checks.accuracy: unknown check (known: errors, latency, outputs, outcomes)')
  })

  it('the admin API refuses a zero bake time', async () => {
    const res = await adminCall(s.gw, 'POST', '/admin/models/fraud/rollout', { version: 'v3', plan: { steps: [{ weight: '5%', bake: 0 }] } })
    expect(res.status).toBe(400)
    expect(res.json.error).toBe('invalid rollout plan: body.plan: steps[0].bake: must be more than zero')
    expect((await adminCall(s.gw, 'GET', '/admin/models/fraud/rollout')).json.code).toBe('GW_NO_ROLLOUT')
  })

  it('a gateway whose config holds a bad release.rollout exits with code 2 naming the file and path', async () => {
    const err = await startGatewayProcess({
      models: { fraud: { versions: { v1: { replicas: ['http://127.0.0.1:9'] } }, release: { strategy: 'canary', stable: 'v1', rollout: { steps: [{ weight: '5%', bake: '1m' }], onNoData: 'ignore' } } } }
    }).then(() => null, (e: unknown) => e as Error)
    expect(err!.message).toMatch(/exited \(code 2/)
    expect(err!.message).toMatch(/invalid config: .*gateway\.json: models\.fraud\.release\.rollout\.onNoData: must be "hold" or "fail", got "ignore"/)
  })
})
