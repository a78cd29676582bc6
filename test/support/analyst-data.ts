/**
 * The example scoring logs the analyst guide's query outputs are computed from:
 * two minutes of a canary release of the fraud model (v1 stable at 80% sampled
 * at 10%, v2 canary at 20% sampled at 100%) called by two applications
 * (checkout, then mobile, three of whose requests went over its quota), a
 * batch job on v1 (nightly), health checks, v3 mirrored as a shadow of v1,
 * and the outcomes of the release: the ledger of 40 live requests (20 per
 * version) with their predictions, labels for 30 of them (one reported twice,
 * the later one winning), business values, an outcome whose id no request has,
 * and two weekly monitor verdicts. Fixed times (from 2026-01-15 10:00:00 UTC),
 * so the outputs are the same on every run.
 */
import type { ClickHouse } from '../../gateway/sink/clickhouse.js'
import { LATENCY_CELLS } from '../../gateway/observe/records.js'

/** 2026-01-15T10:00:00Z: pass it as --param since=… */
export const EXAMPLE_SINCE = 1_768_471_200
const T0 = EXAMPLE_SINCE

function cells (spread: Record<number, number>): number[] {
  const c = new Array<number>(LATENCY_CELLS).fill(0)
  for (const [i, n] of Object.entries(spread)) c[Number(i)] = n
  return c
}

function rollup (minute: number, version: string, cls: number, seq: number, spread: Record<number, number>, sumMs: number, traffic = 'live', application = minute === T0 ? 'checkout' : 'mobile', throttled = 0): object {
  const requests = Object.values(spread).reduce((a, b) => a + b, 0)
  return { minute, model: 'fraud', version, instance_id: 'gw-a', run_id: 'r1', status_class: cls, flush_seq: seq, requests, latency_sum_ms: sumMs, latency_buckets: cells(spread), traffic, application, throttled }
}

function body (p: number): string {
  return JSON.stringify({ model_name: 'fraud', model_version: 'v', outputs: [{ name: 'fraud_probability', datatype: 'FP64', shape: [1], data: [p] }] })
}

interface RecordSpec { i: number, version: string, status: number, p: number, rate: number, ms: number, at: number }

function record (r: RecordSpec): object {
  return {
    time: r.at, millis: (r.i * 37 + (r.version === 'v2' ? 500 : 0)) % 1000, request_id: `req-${r.version}-${r.i}`, model: 'fraud', version: r.version, replica: `http://fraud-${r.version}-${r.i % 2}:8000`,
    instance_id: 'gw-a', release: 'v1>v2#1', status: r.status, error_code: r.status >= 500 ? 'GW_UPSTREAM_ERROR' : '', total_ms: r.ms, upstream_ms: r.ms - 0.5,
    sticky_hash: (r.i * 7919) % 60, has_sticky_key: 1, sample_rate: r.status >= 400 ? 1 : r.rate, fallback: 0, traffic: 'live',
    request_body: '{"inputs":[]}', response_body: r.status < 300 ? body(r.p) : '{"error":"model failed"}'
  }
}

export async function insertExampleData (ch: ClickHouse): Promise<void> {
  const m0 = T0
  const m1 = T0 + 60
  await ch.insert('rollups', [
    // Minute 0; v1's 2xx cell flushed twice (cumulative): FINAL keeps the second.
    rollup(m0, 'v1', 2, 1, { 1: 60, 2: 20 }, 170),
    rollup(m0, 'v1', 2, 2, { 1: 150, 2: 40, 3: 10 }, 460),
    rollup(m0, 'v1', 4, 2, { 1: 4 }, 6),
    rollup(m0, 'v2', 2, 2, { 1: 30, 2: 14, 3: 4 }, 150),
    rollup(m0, 'v2', 5, 2, { 3: 2 }, 16),
    // Minute 1.
    rollup(m1, 'v1', 2, 3, { 1: 160, 2: 30, 3: 6 }, 430),
    rollup(m1, 'v2', 2, 3, { 1: 34, 2: 12, 3: 2 }, 140),
    // Three requests of the mobile app over its quota: answered 429 before a version was chosen.
    rollup(m1, '', 4, 3, { 0: 3 }, 0.3, 'live', 'mobile', 3),
    // A batch job on v1: its own cells, kept out of the live comparison.
    rollup(m0, 'v1', 2, 2, { 2: 900, 3: 100 }, 3600, 'batch', 'nightly')
  ])
  const recs: RecordSpec[] = []
  // v1 at 10%: 20 sampled answers and its 4 client errors (errors are always sampled).
  for (let i = 0; i < 20; i++) recs.push({ i, version: 'v1', status: 200, p: 0.1 + (i % 5) * 0.05, rate: 0.1, ms: 1 + (i % 4) * 0.5, at: i < 10 ? m0 + i : m1 + i })
  for (let i = 20; i < 24; i++) recs.push({ i, version: 'v1', status: 400, p: 0, rate: 0.1, ms: 0.8, at: m0 + i })
  // v2 at 100%: every answer of minute 0's first 30 s, two of them 500s.
  for (let i = 0; i < 30; i++) recs.push({ i, version: 'v2', status: i === 7 || i === 21 ? 500 : 200, p: 0.35 + (i % 3) * 0.1, rate: 1, ms: 1.5 + (i % 5) * 0.75, at: m0 + i })
  await ch.insert('records', recs.map(record))
  await ch.insert('health_checks', [
    { time: m0, millis: 0, instance_id: 'gw-a', model: 'fraud', version: 'v1', replica: 'http://fraud-v1-0:8000', kind: 'http', ok: 1, latency_ms: 1.2, status: 200, error: '' },
    { time: m1, millis: 0, instance_id: 'gw-a', model: 'fraud', version: 'v1', replica: 'http://fraud-v1-0:8000', kind: 'http', ok: 1, latency_ms: 1.6, status: 200, error: '' },
    { time: m0, millis: 5, instance_id: 'gw-a', model: 'fraud', version: 'v2', replica: 'http://fraud-v2-0:8000', kind: 'http', ok: 0, latency_ms: 2000, status: 0, error: 'timeout' },
    { time: m1, millis: 5, instance_id: 'gw-a', model: 'fraud', version: 'v2', replica: 'http://fraud-v2-0:8000', kind: 'http', ok: 1, latency_ms: 2.4, status: 200, error: '' }
  ])
  const pairs: object[] = []
  for (let i = 0; i < 12; i++) {
    const diff = i < 8 ? 0 : i < 10 ? 0.0004 : 0.03
    const failed = i === 11
    pairs.push({
      time: m0 + i, millis: 0, request_id: `req-v1-${i}`, model: 'fraud', instance_id: 'gw-a',
      primary_version: 'v1', primary_status: 200, primary_ms: 1 + (i % 3) * 0.5, primary_output: '[0.2]',
      shadow_version: 'v3', shadow_status: failed ? 0 : 200, shadow_ms: failed ? 0 : 2 + (i % 3), shadow_error: failed ? 'GW_UPSTREAM_TIMEOUT' : '',
      shadow_output: failed ? '' : `[${0.2 + diff}]`, comparable: failed ? 0 : 1, exact: !failed && diff === 0 ? 1 : 0, max_abs_diff: failed ? 0 : diff
    })
  }
  await ch.insert('shadow_pairs', pairs)
  await insertOutcomeExamples(ch)
}

/** v1 right 14 times of 15 labelled, v2 right 10 of 15; values where a request led to a purchase. */
async function insertOutcomeExamples (ch: ClickHouse): Promise<void> {
  const ledger: object[] = []
  const outcomes: object[] = []
  for (const version of ['v1', 'v2']) {
    for (let i = 0; i < 20; i++) {
      const id = `led-${version}-${i}`
      const p = version === 'v1' ? (i % 2 === 0 ? 0.9 : 0.1) : (i % 3 === 0 ? 0.8 : 0.3)
      ledger.push({ time: T0 + i, millis: i, request_id: id, model: 'fraud', version, release: 'v1>v2#1', bucket: (i * 499) % 10_000, status: 200, prediction: p, has_prediction: 1 })
      if (i < 15) {
        const wrong = version === 'v1' ? i === 3 : i % 3 === 1
        const truth = (p >= 0.5) !== wrong ? 1 : 0
        outcomes.push({ model: 'fraud', request_id: id, kind: 'label', x: truth, at: T0 + 3600 + i, at_ms: (T0 + 3600 + i) * 1000, received: T0 + 3600 + i })
      }
      if (i % 4 === 0) outcomes.push({ model: 'fraud', request_id: id, kind: 'value', x: version === 'v1' ? 40 : 25, at: T0 + 7200 + i, at_ms: (T0 + 7200 + i) * 1000, received: T0 + 7200 + i })
    }
  }
  // A label corrected later: the latest `at` wins (v1's request 0 stays right).
  outcomes.push({ model: 'fraud', request_id: 'led-v1-0', kind: 'label', x: 0, at: T0 + 3000, at_ms: (T0 + 3000) * 1000, received: T0 + 3700 })
  // An outcome for a request the ledger does not know.
  outcomes.push({ model: 'fraud', request_id: 'led-unknown-1', kind: 'label', x: 1, at: T0 + 3650, at_ms: (T0 + 3650) * 1000, received: T0 + 3650 })
  await ch.insert('ledger', ledger)
  await ch.insert('outcomes', outcomes)
  const verdict = (version: string, value: number, change: number, stale: number, reasons: string): object => ({
    run_at: T0 + 7 * 86_400, model: 'fraud', version, window_from: T0, window_to: T0 + 7 * 86_400, reference_from: T0 - 7 * 86_400, reference_to: T0,
    requests: 20, metric: 'accuracy', value, reference_value: value - change, change, output_psi: 0.02, input_psi_max: stale === 1 ? 0.31 : 0.04, input_psi: '{}', match_rate: 0.75, coverage: 0.75, stale, reasons
  })
  await ch.insert('outcome_monitor', [verdict('v1', 0.9333, -0.01, 0, ''), verdict('v2', 0.6667, -0.12, 1, 'accuracy fell 0.12 (max 0.05); input drift: features[0] PSI 0.31 (max 0.2)')])
}
