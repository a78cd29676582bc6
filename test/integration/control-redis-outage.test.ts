// Redis goes away under scoring traffic: no scoring request fails, admin writes
// get 503 GW_STATE_UNAVAILABLE, and once Redis is back (empty: persistence is
// off) the instances seed it again with their state and changes flow again.
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceEnv, startService, stopService } from '../../scripts/services/control.js'
import { startModel, type ModelProcess } from '../support/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { admin, BODY, fleetConfig, type AdminBody } from '../support/redis-fleet.js'

const LOAD_MAX_REQUESTS = 20_000
const LOAD_MAX_MS = 40_000
const LOAD_CONCURRENCY = 4
const RECOVERY_DEADLINE_MS = 15_000

/** Scoring traffic against both gateways until stopped (bounded in count and time). */
function startLoad (targets: GatewayProcess[]): { sent: () => number, stop: () => Promise<{ sent: number, failed: string[] }> } {
  let stopped = false
  let sent = 0
  const failed: string[] = []
  const t0 = Date.now()
  const worker = async (w: number): Promise<void> => {
    while (!stopped && sent < LOAD_MAX_REQUESTS && Date.now() - t0 < LOAD_MAX_MS) {
      const gw = targets[sent % targets.length]!
      const n = sent++
      try {
        const res = await request(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': `u${w}-${n % 97}` }, body: BODY })
        const text = await res.body.text()
        if (res.statusCode !== 200) failed.push(`${res.statusCode} ${text.slice(0, 200)}`)
      } catch (err) {
        failed.push(String(err))
      }
    }
  }
  const workers = Array.from({ length: LOAD_CONCURRENCY }, (_, w) => worker(w))
  return {
    sent: () => sent,
    async stop () {
      stopped = true
      await Promise.all(workers)
      return { sent, failed }
    }
  }
}

describe('control plane: Redis outage', () => {
  const models: ModelProcess[] = []
  const gateways: GatewayProcess[] = []
  let redisDown = false

  beforeAll(async () => {
    const { REDIS_URL } = serviceEnv()
    models.push(await startModel({ version: 'v1' }), await startModel({ version: 'v2' }))
    const config = fleetConfig(REDIS_URL, models[0]!, models[1]!, 1000)
    gateways.push(await startGatewayProcess(config, { env: { GATEWAY_INSTANCE_ID: 'gw-a', LOG_LEVEL: 'warn' } }))
    gateways.push(await startGatewayProcess(config, { env: { GATEWAY_INSTANCE_ID: 'gw-b', LOG_LEVEL: 'warn' } }))
  })

  afterAll(async () => {
    if (redisDown) await startService('redis')
    await Promise.all(gateways.map(g => g.stop()))
    await Promise.all(models.map(m => m.stop()))
  })

  it('keeps serving without Redis, refuses writes with 503, and resyncs when Redis is back', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess]
    const set = await admin(a, 'PUT', '/admin/models/fraud/split', { weights: { v1: 7000, v2: 3000 } })
    expect(set.status).toBe(200)
    const before = set.json.revision

    const load = startLoad([a, b])
    await new Promise(resolve => setTimeout(resolve, 500))
    await stopService('redis')
    redisDown = true
    const sentBeforeOutage = load.sent()

    for (const gw of [a, b]) {
      const t0 = performance.now()
      const res = await admin(gw, 'PUT', '/admin/models/fraud/split', { weights: { v1: 5000, v2: 5000 } })
      console.log(`admin write with Redis down answered ${res.status} in ${Math.round(performance.now() - t0)} ms`)
      expect(res.status).toBe(503)
      expect(res.json.error.code).toBe('GW_STATE_UNAVAILABLE')
      const read = await admin(gw, 'GET', '/admin/models/fraud')
      expect(read.status).toBe(200)
      expect(read.json.revision).toBe(before)
      expect(read.json.model.split).toEqual([{ version: 'v2', weight: 3000 }, { version: 'v1', weight: 7000 }])
    }
    // Scoring goes on for a while with Redis away.
    await new Promise(resolve => setTimeout(resolve, 1_500))

    const sentDuringOutage = load.sent() - sentBeforeOutage
    await startService('redis')
    redisDown = false
    const t0 = Date.now()
    let res = await admin(a, 'PUT', '/admin/models/fraud/split', { weights: { v1: 5000, v2: 5000 } })
    while (res.status !== 200 && Date.now() - t0 < RECOVERY_DEADLINE_MS) {
      await new Promise(resolve => setTimeout(resolve, 200))
      res = await admin(a, 'PUT', '/admin/models/fraud/split', { weights: { v1: 5000, v2: 5000 } })
    }
    console.log(`first successful write ${Date.now() - t0} ms after Redis was started again`)
    expect(res.status).toBe(200)
    // Redis came back empty: the instances seeded it with their state, so the revision moved on from theirs rather than starting over.
    expect(res.json.revision).toBe(before + 1)

    let onB: AdminBody
    do {
      onB = (await admin(b, 'GET', '/admin/models/fraud')).json
    } while (onB.revision !== before + 1 && Date.now() - t0 < RECOVERY_DEADLINE_MS)
    expect(onB.revision).toBe(before + 1)
    expect(onB.model.split).toEqual([{ version: 'v2', weight: 5000 }, { version: 'v1', weight: 5000 }])

    const { sent, failed } = await load.stop()
    console.log(`scoring requests: ${sent} sent (${sentDuringOutage} while Redis was down), ${failed.length} failed`)
    expect(failed).toEqual([])
    expect(sentDuringOutage).toBeGreaterThan(0)
  })
})
