// Redis goes away under scoring traffic: no scoring request fails, admin writes
// get 503 GW_STATE_UNAVAILABLE, and once Redis is back (empty: persistence is
// off) the instances seed it again with their state and changes flow again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { restoreServices, serviceEnv, startService, stopService } from '../../scripts/services/control.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { admin, fleetConfig } from '../support/redis-fleet.js'
import { eventually } from '../support/eventually.js'
import { startLoad } from '../support/load.js'

const LOAD_MAX_REQUESTS = 20_000
const LOAD_MAX_MS = 40_000
const LOAD_CONCURRENCY = 4
const RECOVERY_DEADLINE_MS = 15_000

describe('control plane: Redis outage', () => {
  const models: ModelProcess[] = []
  const gateways: GatewayProcess[] = []

  beforeAll(async () => {
    const { REDIS_URL } = serviceEnv()
    models.push(await startModel({ version: 'v1' }), await startModel({ version: 'v2' }))
    const config = fleetConfig(REDIS_URL, models[0]!, models[1]!, 1000)
    gateways.push(await startGatewayProcess(config, { env: { GATEWAY_INSTANCE_ID: 'gw-a', LOG_LEVEL: 'warn' } }))
    gateways.push(await startGatewayProcess(config, { env: { GATEWAY_INSTANCE_ID: 'gw-b', LOG_LEVEL: 'warn' } }))
  })

  afterAll(async () => {
    // Redis answers again before the next file, or this fails naming it.
    await restoreServices()
    await Promise.all(gateways.map(g => g.stop()))
    await Promise.all(models.map(m => m.stop()))
  })

  it('keeps serving without Redis (no scoring request fails), refuses writes with 503 GW_STATE_UNAVAILABLE, and resyncs both instances when Redis is back', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess]
    const set = await admin(a, 'PUT', '/admin/models/fraud/split', { weights: { v1: 7000, v2: 3000 } })
    expect(set.status).toBe(200)
    const before = set.json.revision

    const load = startLoad({
      concurrency: LOAD_CONCURRENCY,
      maxRequests: LOAD_MAX_REQUESTS,
      maxMs: LOAD_MAX_MS,
      request: i => ({ origin: (i % 2 === 0 ? a : b).url, headers: { 'x-user-id': `u-${i % 97}` } })
    })
    await eventually(() => expect(load.progress.ok).toBeGreaterThan(20))
    const stoppedAt = Date.now()
    await stopService('redis')
    const sentBeforeOutage = load.progress.sent

    for (const gw of [a, b]) {
      const t0 = performance.now()
      const res = await admin(gw, 'PUT', '/admin/models/fraud/split', { weights: { v1: 5000, v2: 5000 } })
      console.log(`admin write with Redis down answered ${res.status} in ${Math.round(performance.now() - t0)} ms`)
      expect(res.status).toBe(503)
      expect(res.json.code).toBe('GW_STATE_UNAVAILABLE')
      expect(res.json.error).toContain('shared routing state is unavailable')
      const read = await admin(gw, 'GET', '/admin/models/fraud')
      expect(read.status).toBe(200)
      expect(read.json.revision).toBe(before)
      expect(read.json.model.split).toEqual([{ version: 'v2', weight: 3000 }, { version: 'v1', weight: 7000 }])
      // The admin view says the store is away, and since when (the first failure after Redis stopped).
      const view = (await admin(gw, 'GET', '/admin/models')).json
      expect(view.store).toMatchObject({ kind: 'redis', available: false })
      expect(Date.parse(view.store.unavailableSince!)).toBeGreaterThanOrEqual(stoppedAt - 1_000)
    }
    // Scoring goes on with Redis away.
    await eventually(() => expect(load.progress.sent - sentBeforeOutage).toBeGreaterThan(100))

    const sentDuringOutage = load.progress.sent - sentBeforeOutage
    await startService('redis')
    const t0 = Date.now()
    const res = await eventually(async () => {
      const r = await admin(a, 'PUT', '/admin/models/fraud/split', { weights: { v1: 5000, v2: 5000 } })
      expect(r.json.code).not.toBe('GW_WRITE_OUTCOME_UNKNOWN')
      expect(r.status).toBe(200)
      return r
    }, { timeoutMs: RECOVERY_DEADLINE_MS, intervalMs: 200 })
    console.log(`first successful write ${Date.now() - t0} ms after Redis was started again`)
    // Redis came back empty: the instances seeded it with their state, so the revision moved on from theirs rather than starting over.
    expect(res.json.revision).toBe(before + 1)

    await eventually(async () => {
      const onB = (await admin(b, 'GET', '/admin/models/fraud')).json
      expect(onB.revision).toBe(before + 1)
      expect(onB.model.split).toEqual([{ version: 'v2', weight: 5000 }, { version: 'v1', weight: 5000 }])
    }, { timeoutMs: RECOVERY_DEADLINE_MS })

    const { sent, failed, failures } = await load.stop()
    console.log(`scoring requests: ${sent} sent (${sentDuringOutage} while Redis was down), ${failed} failed`)
    expect(failures).toEqual([])
    expect(sentDuringOutage).toBeGreaterThan(0)
  })
})
