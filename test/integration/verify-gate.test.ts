// release.requireVerification: the CLI's canary on an unverified version is
// refused with 409 GW_NOT_VERIFIED and the state stays as it was; --force goes
// through and the audit log names the token that forced it; a verified version
// takes weight without --force.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { admin, TOKEN } from '../support/redis-fleet.js'

const run = promisify(execFile)
const CLI = join(process.cwd(), 'dist', 'gateway', 'cli', 'main.js')
const GOLDEN = join(process.cwd(), 'config', 'golden', 'fraud.ndjson')

let gw: GatewayProcess
const models: ModelProcess[] = []

async function cli (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args, '--admin-url', gw.adminUrl!], { env: { ...process.env, MODEL_GATEWAY_TOKEN: TOKEN } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

beforeAll(async () => {
  models.push(...await Promise.all([startModel({ version: 'v1' }), startModel({ version: 'v2' }), startModel({ version: 'v3' })]))
  gw = await startGatewayProcess({
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    models: {
      fraud: {
        versions: { v1: { replicas: [models[0]!.url] }, v2: { replicas: [models[1]!.url] }, v3: { replicas: [models[2]!.url] } },
        release: { strategy: 'canary', stable: 'v1', requireVerification: true },
        healthCheck: { enabled: false }
      }
    }
  })
}, 60_000)

afterAll(async () => {
  await gw?.stop()
  await Promise.all(models.map(m => m.stop()))
})

describe('verification gate', () => {
  it('canary on an unverified version is refused with 409 GW_NOT_VERIFIED and changes nothing', async () => {
    const before = await admin(gw, 'GET', '/admin/models/fraud')
    const r = await cli('canary', 'fraud', 'v2', '10')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('409 GW_NOT_VERIFIED: version "v2" of model "fraud" may not receive traffic: it has not been verified')
    const after = await admin(gw, 'GET', '/admin/models/fraud')
    expect(after.json.revision).toBe(before.json.revision)
    expect(after.json.model.split).toEqual([{ version: 'v1', weight: 10_000 }])
  })

  it('set-weights and promote are refused the same way', async () => {
    expect((await cli('set-weights', 'fraud', 'v1=90', 'v2=10')).stderr).toContain('409 GW_NOT_VERIFIED')
    const res = await admin(gw, 'POST', '/admin/models/fraud/promote', { version: 'v2' })
    expect(res.status).toBe(409)
    expect((res.json as unknown as { code: string }).code).toBe('GW_NOT_VERIFIED')
  })

  it('--force gives the weight and the audit entry names the token that forced it', async () => {
    const r = await cli('canary', 'fraud', 'v2', '10', '--force')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const m = await admin(gw, 'GET', '/admin/models/fraud')
    expect(m.json.model.split).toEqual([{ version: 'v2', weight: 1000 }, { version: 'v1', weight: 9000 }])
    const audit = await admin(gw, 'GET', '/admin/audit?limit=1')
    expect(audit.json.entries[0]).toMatchObject({ actor: 'ops', action: 'canary', detail: { version: 'v2', weight: 1000, force: true, forcedBy: 'ops', unverified: ['v2'] } })
  })

  it('a version whose verification passed takes weight without --force, and status shows it verified', async () => {
    const v = await cli('verify', 'fraud', 'v3', '--golden', GOLDEN, '--latency-slack-ms', '100')
    expect(v.stdout).toContain('fraud v3: verification PASSED')
    const audit = await admin(gw, 'GET', '/admin/audit?limit=1')
    expect(audit.json.entries[0]).toMatchObject({ actor: 'ops', action: 'verify', detail: { version: 'v3', passed: true, failed: [] } })
    const r = await cli('canary', 'fraud', 'v3', '20')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const m = await admin(gw, 'GET', '/admin/models/fraud')
    expect(m.json.model.split).toEqual([{ version: 'v3', weight: 2000 }, { version: 'v1', weight: 8000 }])
    expect(m.json.model.versions.find(x => x.name === 'v3')!.verified).toBe(true)
    expect((await cli('status', 'fraud')).stdout).toContain('verification required (verified: v3)')
  })
})
