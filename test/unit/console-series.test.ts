import { afterEach, describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { Router } from '../../gateway/proxy/router.js'
import { parseConfig } from '../../gateway/config/load.js'
import { GatewayMetrics } from '../../gateway/observe/metrics.js'
import { LATENCY_BOUNDS_MS, OUTPUT_SAMPLES_PER_SECOND, SERIES_LATENCY_CELLS, SERIES_SECONDS, TrafficSeries } from '../../gateway/observe/series.js'
import { emptyBucket, seriesPoint } from '../../gateway/admin/series-routes.js'
import { latencyCell } from '../../gateway/observe/records.js'
import { eventually } from '../support/eventually.js'
import type { RequestOutcome } from '../../gateway/observe/outcome.js'

// The console's per-version series: one-second slots per version named in the
// snapshot, read from the metrics' totals once a second, a bounded output
// sample per second, and points with rates and quantiles.

const config = parseConfig(`models:
  fraud:
    versions:
      v1: { replicas: [http://127.0.0.1:9101] }
      v2: { replicas: [http://127.0.0.1:9102] }
    release: { strategy: canary, stable: v1, canary: v2, canaryWeight: 1000 }
`, 'gateway.yaml', {} as never, () => undefined)

const routers: Router[] = []
afterEach(async () => { await Promise.all(routers.splice(0).map(r => r.close())) })

/** The series, and a request path that reports to the metrics and to the series as the observer chain does. */
function series (): { s: TrafficSeries, answer: (o: RequestOutcome) => void } {
  const r = new Router(config.models, config.initialState)
  routers.push(r)
  const metrics = new GatewayMetrics(new Registry(), r)
  const s = new TrafficSeries(r, metrics)
  return { s, answer: (o) => { metrics.observe(o); s.observe(o) } }
}

const T0 = 1_700_000_000_000
const SECOND = T0 / 1000
function outcome (over: Partial<RequestOutcome>): RequestOutcome {
  return {
    requestId: 'r', model: 'fraud', version: 'v1', replica: null, release: null, status: 200, errorCode: null, startedAt: T0, totalMs: 3, upstreamMs: 2,
    fallback: false, stickyKey: undefined, requestBody: null, responseBody: Buffer.from('{"outputs":[{"name":"p","data":[0.25]}]}'), traffic: 'live', kind: 'infer',
    requestHeaderLength: -1, requestEncoding: null, responseHeaderLength: -1, ...over
  }
}

/** The latency cell of `ms` among LATENCY_BOUNDS_MS. */
const cellOf = (ms: number): number => { const i = LATENCY_BOUNDS_MS.findIndex(b => ms <= b); return i < 0 ? SERIES_LATENCY_CELLS - 1 : i }

describe('TrafficSeries', () => {
  it('puts what the metrics counted between two reads into the second before the later read: requests, 5xx and latency cells per version', () => {
    const { s, answer } = series()
    answer(outcome({}))
    answer(outcome({ status: 503, totalMs: 40 }))
    s.sample(T0 + 1005)
    answer(outcome({ version: 'v2', startedAt: T0 + 1000 }))
    s.sample(T0 + 2005)
    const v1 = s.slots('fraud', 'v1', SECOND, SECOND + 2)
    expect(v1.map(x => [x.second, x.requests, x.errors])).toEqual([[SECOND, 2, 1]])
    expect(v1[0]!.latency[cellOf(3)]).toBe(1)
    expect(v1[0]!.latency[cellOf(40)]).toBe(1)
    expect(s.slots('fraud', 'v2', SECOND, SECOND + 2).map(x => [x.second, x.requests])).toEqual([[SECOND + 1, 1]])
  })

  it('adds nothing to a second in which the metrics counted nothing', () => {
    const { s, answer } = series()
    answer(outcome({}))
    s.sample(T0 + 1005)
    s.sample(T0 + 2005)
    expect(s.slots('fraud', 'v1', SECOND, SECOND + 2).map(x => [x.second, x.requests])).toEqual([[SECOND, 1]])
  })

  it('keeps no series for a model or version outside the snapshot, nor for answers without a version', () => {
    const { s, answer } = series()
    answer(outcome({ model: 'nope' }))
    answer(outcome({ version: 'v9', startedAt: T0 + 10 }))
    answer(outcome({ version: null, startedAt: T0 + 20 }))
    s.sample(T0 + 1005)
    expect(s.slots('nope', 'v1', SECOND, SECOND + 2)).toEqual([])
    expect(s.slots('fraud', 'v9', SECOND, SECOND + 2)).toEqual([])
    expect(s.slots('fraud', 'v1', SECOND, SECOND + 2)).toEqual([])
  })

  it(`samples at most ${OUTPUT_SAMPLES_PER_SECOND} outputs per second and version, the first output's first value`, () => {
    const { s, answer } = series()
    for (let i = 0; i < 2000; i++) answer(outcome({ startedAt: T0 + i / 2 }))
    s.sample(T0 + 1005)
    const [slot] = s.slots('fraud', 'v1', SECOND, SECOND + 1)
    expect(slot!.requests).toBe(2000)
    expect(slot!.outputs.length).toBe(OUTPUT_SAMPLES_PER_SECOND)
    expect(new Set(slot!.outputs)).toEqual(new Set([0.25]))
  })

  it(`forgets a second ${SERIES_SECONDS} s later, when its slot is reused`, () => {
    const { s, answer } = series()
    answer(outcome({}))
    s.sample(T0 + 1005)
    answer(outcome({ startedAt: T0 + SERIES_SECONDS * 1000 }))
    s.sample(T0 + (SERIES_SECONDS + 1) * 1000 + 5)
    expect(s.slots('fraud', 'v1', SECOND, SECOND + 1)).toEqual([])
    expect(s.slots('fraud', 'v1', SECOND + SERIES_SECONDS, SECOND + SERIES_SECONDS + 1).length).toBe(1)
  })

  it('reads the totals once a second on its own once started', async () => {
    const { s, answer } = series()
    s.start()
    try {
      const second = Math.floor(Date.now() / 1000)
      answer(outcome({ startedAt: Date.now() }))
      await eventually(() => { expect(s.slots('fraud', 'v1', second, second + 5).map(x => x.requests)).toEqual([1]) }, { timeoutMs: 10_000 })
    } finally {
      s.stop()
    }
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

  it('reads latency quantiles within the cells of the bounds it is given (the local series use the metrics\' duration buckets)', () => {
    const b = emptyBucket(SERIES_LATENCY_CELLS)
    b.requests = 100
    b.latency[cellOf(3)] = 100
    const p = seriesPoint(1000, 5, b, LATENCY_BOUNDS_MS)
    expect(p.p50).toBeGreaterThan(2.5)
    expect(p.p99).toBeLessThanOrEqual(5)
  })

  it('gives nulls, not zeros, for a step without requests or outputs', () => {
    expect(seriesPoint(1000, 5, emptyBucket())).toEqual({ t: 1000, requests: 0, rps: 0, errorRate: null, p50: null, p95: null, p99: null, output: null })
  })
})
