import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { serviceEnv } from '../../scripts/services/control.js'
import { repoRoot } from '../../scripts/processes/ready-process.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { parseConfig } from '../../gateway/config/load.js'
import { createLogger } from '../../gateway/observe/log.js'
import { startGateway, type Gateway } from '../../gateway/app.js'
import { adminCall, backgroundLoad, fastPlan, gatewayConfig, splitOf, startRollout, TOKEN, waitForRollout, warm, warmModel, type AdminTarget } from './release-harness.js'
import { eventually } from '../support/eventually.js'

// Two gateways share the routing state in Redis and one clock the test can
// move (plan time): v3 is rolled out, promoted and watched; an hour later
// v1 is still held back, and one `rollback` puts it back at 100% on both.

const HOUR = 3_600_000

describe('rollback an hour after a promotion', () => {
  let v1: ModelProcess
  let v3: ModelProcess
  const gateways: Gateway[] = []
  let offset = 0
  const now = (): number => Date.now() + offset
  const admin = (g: Gateway): AdminTarget => ({ adminUrl: `http://127.0.0.1:${g.adminPort!}` })

  beforeAll(async () => {
    v1 = await startModel({ version: 'v1' })
    v3 = await startModel({ version: 'v3' })
    await Promise.all([warmModel(v1.url), warmModel(v3.url)])
    const state = { store: 'redis', redisUrl: serviceEnv().REDIS_URL, keyPrefix: `undo-test-${Date.now().toString(36)}` }
    const logger = createLogger('warn')
    for (const id of ['gw-a', 'gw-b']) {
      const config = parseConfig(JSON.stringify({ ...gatewayConfig({ stable: v1, canary: v3, state }), gateway: { instanceId: id } }), `${id}.json`)
      gateways.push(await startGateway(config, logger, { port: 0, adminPort: 0, now }))
    }
  })
  afterAll(async () => {
    for (const g of gateways) await g.close()
    await Promise.all([v1?.stop(), v3?.stop()])
  })

  it('returns to v1 at 100% on every instance in one call, with the CLI saying so; retire of v1 is refused until then', { timeout: 90_000 }, async () => {
    const [a, b] = gateways as [Gateway, Gateway]
    // Traffic on both: whichever instance holds the controller's lease judges its own (the local source).
    const loads = [a, b].map(g => backgroundLoad(`http://127.0.0.1:${g.port}`))
    try {
      await Promise.all(loads.map(l => warm(l)))
      expect((await startRollout(admin(a), fastPlan({ holdback: '2h', watch: { duration: '3s' } }))).status).toBe(201)
      const done = await waitForRollout(admin(a), r => r.status !== 'running' && r.status !== 'watching')
      expect(done.json.rollout.status).toBe('promoted')
    } finally {
      await Promise.all(loads.map(l => l.stop()))
    }
    offset = HOUR
    const refused = await adminCall(admin(b), 'DELETE', '/admin/models/fraud/versions/v1')
    expect(refused.status).toBe(409)
    expect(refused.json.error).toMatch(/^"v1" is held back after the promotion of "v3" until /)

    const cli = await promisify(execFile)('node', [join(repoRoot(), 'dist', 'gateway', 'cli', 'main.js'), 'rollback', 'fraud', '--admin-url', admin(a).adminUrl!, '--token', TOKEN])
    expect(cli.stdout).toMatch(/^fraud: rolled back to v1; revision \d+/)
    for (const g of gateways) {
      await eventually(async () => { expect(await splitOf(admin(g))).toEqual({ v1: 10_000 }) })
      const res = await request(`http://127.0.0.1:${g.port}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': 'after-rollback' }, body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }) })
      await res.body.text()
      expect(res.headers['x-model-version']).toBe('v1')
    }
    const rollout = (await adminCall(admin(b), 'GET', '/admin/models/fraud/rollout')).json.rollout
    expect(rollout).toMatchObject({ status: 'rolled-back', reason: 'rolled back to "v1" after promotion by ops' })
    const again = await adminCall(admin(b), 'POST', '/admin/models/fraud/rollback', {})
    expect(again.status).toBe(409)
    expect(again.json.error).toBe('model "fraud" has nothing to roll back: "v1" serves 100% with no canary, and no previous version is held back')
  })
})
