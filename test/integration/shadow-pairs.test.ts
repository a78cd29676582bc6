// Mirrored requests land in ClickHouse (gateway -> Kafka -> sink -> shadow_pairs)
// exactly once each: at 100% one pair per request sent; at 30% exactly the
// requests whose id hashes below the share, the same set the gateway computes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { shadowBucket } from '../../gateway/proxy/shadow.js'
import { dropIsolated, gatewayConfig, isolated, load, startSink, waitFor, type Isolated, type SinkProcess } from './pipeline-harness.js'
import { request } from 'undici'

const TOKEN = 'pipeline-test-token-0123456789'
const N = 300

let iso: Isolated
let sink: SinkProcess
let gw: GatewayProcess
const models: ModelProcess[] = []

async function setShadow (weight: number): Promise<void> {
  const res = await request(`${gw.adminUrl}/admin/models/fraud/shadow`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ version: 'v2', weight }) })
  expect(res.statusCode).toBe(200)
  await res.body.text()
}

async function pairIds (prefix: string): Promise<string[]> {
  const rows = await iso.ch.select<{ request_id: string }>(`SELECT request_id FROM ${iso.db}.shadow_pairs FINAL WHERE request_id LIKE {p:String} ORDER BY request_id`, { p: `${prefix}-%` })
  return rows.map(r => r.request_id)
}

beforeAll(async () => {
  iso = await isolated('shadow')
  sink = await startSink(iso)
  models.push(await startModel({ version: 'v1' }), await startModel({ version: 'v2', extraArgs: ['--weights', 'v1'] }))
  gw = await startGatewayProcess(gatewayConfig({ iso, v1: [models[0]!.url], v2: [models[1]!.url], canaryWeight: 0, sampling: { rate: 0 } }))
}, 90_000)

afterAll(async () => {
  await gw?.stop()
  await sink?.stop()
  await Promise.all(models.map(m => m.stop()))
  await dropIsolated(iso)
})

describe('shadow pairs in ClickHouse', () => {
  it('at 100% every request sent has exactly one pair, with both answers', async () => {
    await setShadow(10_000)
    const r = await load(gw.url, N, { concurrency: 4, idPrefix: 'all' })
    expect(r.failed).toBe(0)
    expect(r.sent).toBe(N)
    const ids = await waitFor('all pairs', () => pairIds('all'), ids => ids.length >= N)
    expect(ids).toEqual(Array.from({ length: N }, (_, i) => `all-${i}`).sort())
    const [agg] = await iso.ch.select<{ n: string, uniq: string, ok: string, exact: string }>(
      `SELECT count() AS n, uniqExact(request_id) AS uniq, countIf(primary_version = 'v1' AND shadow_version = 'v2' AND primary_status = 200 AND shadow_status = 200) AS ok, countIf(exact = 1) AS exact
       FROM ${iso.db}.shadow_pairs FINAL WHERE request_id LIKE 'all-%'`)
    expect(agg).toEqual({ n: String(N), uniq: String(N), ok: String(N), exact: String(N) })
  })

  it('at 30% exactly the requests whose id hashes below 3000 have a pair, once each', async () => {
    await setShadow(3000)
    const r = await load(gw.url, N, { concurrency: 4, idPrefix: 'part' })
    expect(r.failed).toBe(0)
    const expected = Array.from({ length: N }, (_, i) => `part-${i}`).filter(id => shadowBucket(id) < 3000).sort()
    expect(expected.length).toBeGreaterThan(N * 0.2)
    expect(expected.length).toBeLessThan(N * 0.4)
    const ids = await waitFor('mirrored pairs', () => pairIds('part'), ids => ids.length >= expected.length)
    expect(ids).toEqual(expected)
  })
})
