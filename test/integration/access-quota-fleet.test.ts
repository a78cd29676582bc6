// A fleet quota enforced by each instance alone: three gateway processes share
// applications through Redis and count each other in the instance registry, so
// each lets through a third of an application's 100 requests/s. Under load far
// above the quota, spread over the three, the application gets 100 ± 10% per
// second in total and 429 with Retry-After for the rest; another application
// on the same instances gets every answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceEnv } from '../../scripts/services/control.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { eventually } from '../support/eventually.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startLoad } from '../support/load.js'
import { accessFleetConfig, TOKEN } from '../support/redis-fleet.js'

const LIMITED_KEY = 'limited-app-key-0123456789abcdef'
const OTHER_KEY = 'other-app-key-0123456789abcdefgh'
const RPS = 100
const LOAD_MS = 15_000
/** The rate is measured from the moment every instance has refused once (its bucket ran dry) to the end: at least this long. */
const MIN_WINDOW_MS = 4_000
let model: ModelProcess
const gateways: GatewayProcess[] = []

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
  const config = accessFleetConfig(serviceEnv().REDIS_URL, model.url, {
    limited: { models: ['fraud'], quota: { rps: RPS }, keys: [{ name: 'main', key: LIMITED_KEY }] },
    other: { models: ['fraud'], keys: [{ name: 'main', key: OTHER_KEY }] }
  })
  for (const id of ['gw-a', 'gw-b', 'gw-c']) gateways.push(await startGatewayProcess(config, { env: { GATEWAY_INSTANCE_ID: id, LOG_LEVEL: 'warn' } }))
})
afterAll(async () => {
  await Promise.all(gateways.map(g => g.stop()))
  await model?.stop()
})

async function quotaInstances (gw: GatewayProcess): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl!}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
  return Number(/^model_gateway_quota_instances (\d+)$/m.exec(text)?.[1] ?? 0)
}

describe('quota per application across three instances', () => {
  it('100 req/s for the fleet: 100 ± 10% per second pass in total, the rest get 429 with Retry-After; another application gets every answer', async () => {
    await eventually(async () => { expect(await Promise.all(gateways.map(quotaInstances))).toEqual([3, 3, 3]) }, { timeoutMs: 15_000, intervalMs: 200 })
    const origin = (i: number): string => gateways[i % 3]!.url
    const passed: number[] = []
    /** Per instance, when it first refused: from then on its bucket holds no saved-up tokens. */
    const firstRefusal = [Infinity, Infinity, Infinity]
    const refused = { count: 0, withRetryAfter: 0, other: [] as string[] }
    const limited = startLoad({
      concurrency: 64,
      maxRequests: 10_000_000,
      maxMs: LOAD_MS,
      request: (i) => ({ origin: origin(i), headers: { authorization: `Bearer ${LIMITED_KEY}` } }),
      onAnswer: (a) => {
        if (a.status === 200) passed.push(a.at)
        else if (a.status === 429) {
          refused.count++
          firstRefusal[a.i % 3] = Math.min(firstRefusal[a.i % 3]!, a.at)
          if (Number(a.headers['retry-after']) >= 1) refused.withRetryAfter++
        } else if (refused.other.length < 5) refused.other.push(`${a.status} ${a.body.slice(0, 200)}`)
      }
    })
    const other = startLoad({
      concurrency: 3,
      maxRequests: 10_000_000,
      maxMs: LOAD_MS,
      pauseMs: 10,
      request: (i) => ({ origin: origin(i), headers: { authorization: `Bearer ${OTHER_KEY}` } })
    })
    const [l, o] = await Promise.all([limited.done, other.done])

    const start = Math.max(...firstRefusal)
    const end = Math.max(...passed)
    const perSecond = passed.filter(at => at > start).length / ((end - start) / 1000)
    process.stderr.write(`[access-quota-fleet] limited: ${l.sent} sent, ${l.ok} passed, ${refused.count} refused; ${perSecond.toFixed(1)}/s passed over the last ${Math.round(end - start)} ms; other: ${o.sent} sent, ${o.ok} ok\n`)
    expect(refused.other).toEqual([])
    // The load must outrun the quota on every instance for long enough (a busy machine may not manage it).
    expect(end - start, `every instance refused by ${Math.round(start)} ms; the load offered ${(l.sent / (LOAD_MS / 1000)).toFixed(0)}/s`).toBeGreaterThanOrEqual(MIN_WINDOW_MS)
    expect(perSecond).toBeGreaterThanOrEqual(RPS * 0.9)
    expect(perSecond).toBeLessThanOrEqual(RPS * 1.1)
    expect(refused.withRetryAfter).toBe(refused.count)
    expect({ failed: o.failed, failures: o.failures.slice(0, 3) }).toEqual({ failed: 0, failures: [] })
    expect(o.ok).toBeGreaterThan(0)
  })
})
