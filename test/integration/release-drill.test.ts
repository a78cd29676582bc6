import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { serviceEnv } from '../../scripts/services/control.js'
import { repoRoot } from '../../scripts/processes/ready-process.js'
import { adminCall, startFleet, TOKEN, type Fleet } from './release-harness.js'
import { dropIsolated, isolated, type Isolated } from './pipeline-harness.js'

// Two gateways share the state in Redis. A drill puts a copy of v1 at 1%
// through a rollout the controller fails on purpose, and checks that both
// instances applied the rollback within the bound. With one instance frozen
// (SIGSTOP: it cannot apply anything), the drill is reported failed.

let fleet: Fleet
let iso: Isolated

beforeAll(async () => {
  iso = await isolated('drill')
  fleet = await startFleet(2, serviceEnv().REDIS_URL, { clickhouseUrl: iso.env.CLICKHOUSE_URL, clickhouseDatabase: iso.db })
}, 120_000)
afterAll(async () => {
  for (const g of fleet?.gateways ?? []) g.kill('SIGCONT')
  await fleet?.stop()
  await dropIsolated(iso)
})

async function drill (gw: Fleet['gateways'][number], ...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const r = await promisify(execFile)('node', [join(repoRoot(), 'dist', 'gateway', 'cli', 'main.js'), 'drill', 'fraud', ...args, '--admin-url', gw.adminUrl!, '--token', TOKEN])
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

async function metric (gw: Fleet['gateways'][number], name: string): Promise<string | undefined> {
  const res = await request(`${gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
  return (await res.body.text()).split('\n').find(l => l.startsWith(name))
}

describe('rollback drills', () => {
  it('on a healthy fleet passes and is recorded in the audit log, with the model, in ClickHouse and in the metric of the last success', { timeout: 90_000 }, async () => {
    const [a, b] = fleet.gateways as [Fleet['gateways'][number], Fleet['gateways'][number]]
    const r = await drill(a, '--bound-ms', '5000')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^fraud: rollback drill PASSED: rolled back \d+ ms after the copy went live; all 2 instances at revision \d+ or later \d+ ms after the rollback; revision \d+/)
    const audit = (await adminCall(b, 'GET', '/admin/audit?limit=20')).json.entries as Array<{ action: string, detail: { passed?: boolean } }>
    expect(audit.map(e => e.action)).toEqual(expect.arrayContaining(['drill', 'drill-retire', 'rollout-rollback', 'drill-start']))
    expect(audit.find(e => e.action === 'drill')!.detail.passed).toBe(true)
    const model = (await adminCall(b, 'GET', '/admin/models/fraud')).json.model
    expect(model.versions.map((v: { name: string }) => v.name)).toEqual(['v1', 'v3'])
    expect(model.split).toEqual([{ version: 'v1', weight: 10_000 }])
    const stored = (await adminCall(b, 'GET', '/admin/models/fraud/drill')).json
    expect(stored.drill).toMatchObject({ passed: true, instances: 2, boundMs: 5000 })
    expect(await metric(b, 'model_gateway_drill_seconds_since_last_success{model="fraud"}')).toMatch(/ \d+(\.\d+)?(e-\d+)?$/)
    const rows = await iso.ch.select<{ passed: number, instances: number }>(`SELECT passed, instances FROM ${iso.db}.drills WHERE model = 'fraud'`)
    expect(rows.map(x => [Number(x.passed), Number(x.instances)])).toEqual([[1, 2]])
  })

  it('with one instance unable to apply the change (frozen) is reported failed, naming it, and leaves v1 alone at 100%', { timeout: 90_000 }, async () => {
    const [a, b] = fleet.gateways as [Fleet['gateways'][number], Fleet['gateways'][number]]
    b.kill('SIGSTOP')
    let r
    try {
      r = await drill(a, '--bound-ms', '1500')
    } finally {
      b.kill('SIGCONT')
    }
    expect(r.code, r.stderr).toBe(3)
    expect(r.stdout).toMatch(/^fraud: rollback drill FAILED: not every instance applied the rollback \(revision \d+\) within 1500 ms: gw-1 at revision \d+/)
    expect((await adminCall(a, 'GET', '/admin/models/fraud/drill')).json.drill).toMatchObject({ passed: false })
    expect(await metric(a, 'model_gateway_drill_last_passed{model="fraud"}')).toBe('model_gateway_drill_last_passed{model="fraud"} 0')
    expect((await adminCall(a, 'GET', '/admin/models/fraud')).json.model.split).toEqual([{ version: 'v1', weight: 10_000 }])
  })
})
