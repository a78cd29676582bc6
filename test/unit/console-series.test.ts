import { afterEach, describe, expect, it } from 'vitest'
import { Router } from '../../gateway/proxy/router.js'
import { parseConfig } from '../../gateway/config/load.js'
import { OUTPUT_SAMPLES_PER_SECOND, SERIES_SECONDS, TrafficSeries } from '../../gateway/observe/series.js'
import { emptyBucket, seriesPoint } from '../../gateway/admin/series-routes.js'
import { latencyCell } from '../../gateway/observe/records.js'
import type { RequestOutcome } from '../../gateway/observe/outcome.js'

// The console's per-version series: one-second slots per version named in the
// snapshot, a bounded output sample per second, and points with rates and quantiles.

const config = parseConfig(`models:
  fraud:
    versions:
      v1: { replicas: [http://127.0.0.1:9101] }
      v2: { replicas: [http://127.0.0.1:9102] }
    release: { strategy: canary, stable: v1, canary: v2, canaryWeight: 1000 }
`, 'gateway.yaml', {} as never, () => undefined)

const routers: Router[] = []
afterEach(async () => { await Promise.all(routers.splice(0).map(r => r.close())) })
function series (): TrafficSeries {
  const r = new Router(config.models, config.initialState)
  routers.push(r)
  return new TrafficSeries(r)
}

const T0 = 1_700_000_000_000
function outcome (over: Partial<RequestOutcome>): RequestOutcome {
  return {
    requestId: 'r', model: 'fraud', version: 'v1', replica: null, release: null, status: 200, errorCode: null, startedAt: T0, totalMs: 3, upstreamMs: 2,
    fallback: false, stickyKey: undefined, requestBody: null, responseBody: Buffer.from('{"outputs":[{"name":"p","data":[0.25]}]}'), traffic: 'live', kind: 'infer',
    requestHeaderLength: -1, requestEncoding: null, responseHeaderLength: -1, ...over
  }
}

describe('TrafficSeries', () => {
  it('counts requests, 5xx and latency cells per version and second', () => {
    const s = series()
    s.observe(outcome({}))
    s.observe(outcome({ status: 503, totalMs: 40 }))
    s.observe(outcome({ version: 'v2', startedAt: T0 + 1000 }))
    const second = T0 / 1000
    const v1 = s.slots('fraud', 'v1', second, second + 2)
    expect(v1.map(x => [x.second, x.requests, x.errors])).toEqual([[second, 2, 1]])
    expect(v1[0]!.latency[latencyCell(3)]).toBe(1)
    expect(v1[0]!.latency[latencyCell(40)]).toBe(1)
    expect(s.slots('fraud', 'v2', second, second + 2).map(x => [x.second, x.requests])).toEqual([[second + 1, 1]])
  })

  it('keeps no series for a model or version outside the snapshot, nor for answers without a version', () => {
    const s = series()
    s.observe(outcome({ model: 'nope' }))
    s.observe(outcome({ version: 'v9' }))
    s.observe(outcome({ version: null }))
    expect(s.slots('nope', 'v1', 0, Number.MAX_SAFE_INTEGER)).toEqual([])
    expect(s.slots('fraud', 'v9', 0, Number.MAX_SAFE_INTEGER)).toEqual([])
  })

  it(`samples at most ${OUTPUT_SAMPLES_PER_SECOND} outputs per second and version, the first output's first value`, () => {
    const s = series()
    for (let i = 0; i < 500; i++) s.observe(outcome({ startedAt: T0 + i }))
    const [slot] = s.slots('fraud', 'v1', T0 / 1000, T0 / 1000 + 1)
    expect(slot!.requests).toBe(500)
    expect(slot!.outputs.length).toBe(OUTPUT_SAMPLES_PER_SECOND)
    expect(new Set(slot!.outputs)).toEqual(new Set([0.25]))
  })

  it(`forgets a second ${SERIES_SECONDS} s later, when its slot is reused`, () => {
    const s = series()
    s.observe(outcome({}))
    s.observe(outcome({ startedAt: T0 + SERIES_SECONDS * 1000 }))
    const second = T0 / 1000
    expect(s.slots('fraud', 'v1', second, second + 1)).toEqual([])
    expect(s.slots('fraud', 'v1', second + SERIES_SECONDS, second + SERIES_SECONDS + 1).length).toBe(1)
  })
})

describe('seriesPoint', () => {
  it('gives the rate per second, the 5xx share, latency quantiles within their cells and output quantiles', () => {
    const b = emptyBucket()
    b.requests = 100
    b.errors = 5
    b.latency[latencyCell(3)] = 100
    b.outputs = Array.from({ length: 10 }, (_, i) => i / 10)
    const p = seriesPoint(1000, 5, b)
    expect(p).toMatchObject({ t: 1000, requests: 100, rps: 20, errorRate: 0.05, output: { n: 10, p10: 0.1, p50: 0.5, p90: 0.9 } })
    expect(p.p50).toBeGreaterThan(2)
    expect(p.p99).toBeLessThanOrEqual(5)
  })

  it('gives nulls, not zeros, for a step without requests or outputs', () => {
    expect(seriesPoint(1000, 5, emptyBucket())).toEqual({ t: 1000, requests: 0, rps: 0, errorRate: null, p50: null, p95: null, p99: null, output: null })
  })
})
