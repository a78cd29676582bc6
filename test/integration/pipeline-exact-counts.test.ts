// Requests through real gateway processes end up in ClickHouse through Kafka
// and a real sink process: every sampled record exactly once, and per-version
// rollup totals exactly equal to the requests served, also across two gateways.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { hashStickyKey } from '../../gateway/observe/records.js'
import { dropIsolated, gatewayConfig, isolated, load, metricValue, recordCounts, recordRowsFinal, rollupTotals, startSink, sum, type Isolated, type SinkProcess } from './pipeline-harness.js'
import { eventually } from '../support/eventually.js'

let models: ModelProcess[] = []
let gateways: GatewayProcess[] = []
let sinks: SinkProcess[] = []
let iso: Isolated | undefined

beforeAll(async () => {
  models = [await startModel({ version: 'v1' }), await startModel({ version: 'v2' })]
})
afterAll(async () => {
  await Promise.allSettled(models.map(m => m.stop()))
})
afterEach(async () => {
  await Promise.allSettled(gateways.map(g => g.stop()))
  await Promise.allSettled(sinks.map(s => s.stop()))
  await dropIsolated(iso)
  gateways = []
  sinks = []
  iso = undefined
})

const urls = (v: string): string[] => models.filter(m => m.version === v).map(m => m.url)
const sorted = (m: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(m).sort())

describe('scoring logs in ClickHouse', () => {
  it('at 100% sampling stores exactly one record per request, and rollups count every request per version', async () => {
    iso = await isolated('full')
    sinks.push(await startSink(iso))
    const gw = await startGatewayProcess(gatewayConfig({ iso, v1: urls('v1'), v2: urls('v2') }))
    gateways.push(gw)
    const N = 600
    const r = await load(gw.url, N, { concurrency: 8 })
    expect(r.failed).toBe(0)
    expect(r.sent).toBe(N)
    const served = sorted(r.versions)
    expect(Object.keys(served).sort()).toEqual(['v1', 'v2'])

    const records = await eventually(async () => {
      const c = await recordCounts(iso!)
      expect(sum(c) >= N, `all records: ${JSON.stringify(c)}`).toBe(true)
      return c
    }, { timeoutMs: 30_000, intervalMs: 500 })
    expect(records).toEqual(served)
    expect(await recordRowsFinal(iso)).toBe(N)
    const rollups = await eventually(async () => {
      const c = await rollupTotals(iso!)
      expect(sum(c) >= N, `rollup totals: ${JSON.stringify(c)}`).toBe(true)
      return c
    }, { timeoutMs: 30_000, intervalMs: 500 })
    expect(rollups).toEqual(served)

    // The stored record carries what the request had.
    const [row] = await iso.ch.select<{ request_id: string, status: number, sample_rate: number, has_sticky_key: number, sticky_hash: number, request_body: string, response_body: string }>(
      `SELECT request_id, status, sample_rate, has_sticky_key, sticky_hash, request_body, response_body FROM ${iso.db}.records WHERE request_id != '' LIMIT 1`)
    expect(row!.status).toBe(200)
    expect(row!.sample_rate).toBe(1)
    expect(row!.has_sticky_key).toBe(1)
    // The hash of the x-user-id the load loop sent for this request id, never the key itself.
    const i = Number(row!.request_id.slice(row!.request_id.lastIndexOf('-') + 1))
    expect(row!.sticky_hash).toBe(hashStickyKey(`user-${i % 997}`))
    const raw = await iso.ch.select<{ n: string }>(`SELECT count() AS n FROM ${iso.db}.records WHERE position(request_body, 'user-') > 0 OR position(response_body, 'user-') > 0`)
    expect(Number(raw[0]!.n)).toBe(0)
    expect(row!.request_body).toContain('"features"')
    expect(row!.response_body).toContain('fraud_probability')
  }, 90_000)

  it('at 10% sampling stores a binomial share of records while rollups stay exact', async () => {
    iso = await isolated('tenth')
    sinks.push(await startSink(iso))
    const gw = await startGatewayProcess(gatewayConfig({ iso, v1: urls('v1'), v2: urls('v2'), sampling: { rate: 0.1 } }))
    gateways.push(gw)
    const N = 2000
    const r = await load(gw.url, N, { concurrency: 16 })
    expect(r.failed).toBe(0)
    const served = sorted(r.versions)

    const rollups = await eventually(async () => {
      const c = await rollupTotals(iso!)
      expect(sum(c) >= N, `rollup totals: ${JSON.stringify(c)}`).toBe(true)
      return c
    }, { timeoutMs: 30_000, intervalMs: 500 })
    expect(rollups).toEqual(served)
    // Every record the gateway sampled lands (exactly once): the count is the sampler's, not a guess.
    const sampled = await metricValue(gw.adminUrl!, 'model_gateway_pipeline_records_sampled_total')
    const total = await eventually(async () => {
      const n = sum(await recordCounts(iso!))
      expect(n).toBe(sampled)
      return n
    }, { timeoutMs: 30_000, intervalMs: 500 })
    const mean = N * 0.1
    const sigma = Math.sqrt(N * 0.1 * 0.9)
    expect(total).toBeGreaterThanOrEqual(Math.floor(mean - 4 * sigma))
    expect(total).toBeLessThanOrEqual(Math.ceil(mean + 4 * sigma))
    const rates = await iso.ch.select<{ r: number }>(`SELECT DISTINCT sample_rate AS r FROM ${iso.db}.records`)
    expect(rates.map(x => x.r)).toEqual([0.1])
  }, 90_000)

  it('with two gateway instances the per-version totals add up exactly', async () => {
    iso = await isolated('two')
    sinks.push(await startSink(iso))
    const a = await startGatewayProcess(gatewayConfig({ iso, v1: urls('v1'), v2: urls('v2'), sampling: { rate: 0.05 }, instanceId: 'gw-a' }))
    const b = await startGatewayProcess(gatewayConfig({ iso, v1: urls('v1'), v2: urls('v2'), sampling: { rate: 0.05 }, instanceId: 'gw-b' }))
    gateways.push(a, b)
    const [ra, rb] = await Promise.all([load(a.url, 700, { concurrency: 6 }), load(b.url, 500, { concurrency: 6 })])
    expect(ra.failed + rb.failed).toBe(0)
    const served: Record<string, number> = {}
    for (const m of [ra.versions, rb.versions]) for (const [v, n] of Object.entries(m)) served[v] = (served[v] ?? 0) + n

    const rollups = await eventually(async () => {
      const c = await rollupTotals(iso!)
      expect(sum(c) >= 1200, `rollup totals: ${JSON.stringify(c)}`).toBe(true)
      return c
    }, { timeoutMs: 30_000, intervalMs: 500 })
    expect(rollups).toEqual(served)
    const perInstance = await iso.ch.select<{ instance_id: string, n: string }>(
      `SELECT instance_id, sum(requests) AS n FROM ${iso.db}.rollups FINAL GROUP BY instance_id ORDER BY instance_id`)
    expect(perInstance.map(x => [x.instance_id, Number(x.n)])).toEqual([['gw-a', 700], ['gw-b', 500]])
  }, 90_000)
})
