// Every analyst query in config/clickhouse/queries.sql and the report command run
// on the real server (ClickHouse 18.16 here), over rows whose answers we know.
// Also: strings quoted for 18.16 come back unchanged from the server.
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { quoteString } from '../../gateway/sink/sql.js'
import { forDatabase, loadNamedQueries } from '../../gateway/sink/named-queries.js'
import { LATENCY_CELLS } from '../../gateway/observe/records.js'
import { CLI, REPO, dropIsolated, isolated, type Isolated } from './pipeline-harness.js'

let iso: Isolated
const NOW = Math.floor(Date.now() / 1000)
const MINUTE = Math.floor(NOW / 60) * 60 - 60

function body (p: number): string {
  return JSON.stringify({ model_name: 'fraud', model_version: 'v', outputs: [{ name: 'fraud_probability', datatype: 'FP64', shape: [1], data: [p] }] })
}

function record (i: number, version: string, status: number, p: number): object {
  return {
    time: NOW - 30, millis: i % 1000, request_id: `q-${version}-${i}`, model: 'fraud', version, replica: 'http://127.0.0.1:1', instance_id: 'gw', release: 'v1>v2#1',
    status, error_code: status >= 500 ? 'GW_UPSTREAM_ERROR' : '', total_ms: 2 + (i % 5), upstream_ms: 1, sticky_hash: i % 7, has_sticky_key: 1,
    sample_rate: 0.5, fallback: 0, request_body: '{}', response_body: status < 300 ? body(p) : '{"error":"x"}'
  }
}

function cells (at: number, n: number): number[] {
  const c = new Array<number>(LATENCY_CELLS).fill(0)
  c[at] = n
  return c
}

beforeAll(async () => {
  iso = await isolated('queries')
  const recs: object[] = []
  for (let i = 0; i < 10; i++) recs.push(record(i, 'v1', 200, 0.2))
  for (let i = 0; i < 10; i++) recs.push(record(i, 'v2', i < 8 ? 200 : 503, 0.6))
  // A redelivered record: must not count twice.
  recs.push(record(0, 'v1', 200, 0.2))
  await iso.ch.insert('records', recs)
  const roll = (version: string, cls: number, seq: number, requests: number, cell: number) => ({
    minute: MINUTE, model: 'fraud', version, instance_id: 'gw', run_id: 'r', status_class: cls, flush_seq: seq, requests, latency_sum_ms: requests * 3, latency_buckets: cells(cell, requests)
  })
  await iso.ch.insert('rollups', [
    roll('v1', 2, 1, 50, 2), roll('v1', 2, 2, 90, 2), roll('v1', 2, 2, 90, 2), // cumulative re-flush + duplicate
    roll('v2', 2, 2, 8, 3), roll('v2', 5, 2, 2, 3),
    // A batch job's requests: their own cells (same minute and status class), kept out of the live comparison.
    { ...roll('v1', 2, 2, 500, 4), traffic: 'batch' }
  ])
  // The ledger: v1 requests l-0..3 (l-0 delivered twice), v2 l-4..5; labels (l-1 corrected later), values, one unknown id.
  const led = (i: number, version: string, p: number) => ({ time: NOW - 40, millis: i, request_id: `l-${i}`, model: 'fraud', version, release: 'v1>v2#1', bucket: i, status: 200, prediction: p, has_prediction: 1 })
  await iso.ch.insert('ledger', [led(0, 'v1', 0.9), led(0, 'v1', 0.9), led(1, 'v1', 0.2), led(2, 'v1', 0.7), led(3, 'v1', 0.4), led(4, 'v2', 0.6), led(5, 'v2', 0.1)])
  const out = (id: string, kind: string, x: number, atMs: number) => ({ model: 'fraud', request_id: id, kind, x, at: Math.floor(atMs / 1000), at_ms: atMs, received: NOW })
  await iso.ch.insert('outcomes', [
    out('l-0', 'label', 1, NOW * 1000), out('l-1', 'label', 1, NOW * 1000 - 5000), out('l-1', 'label', 0, NOW * 1000), out('l-2', 'label', 0, NOW * 1000),
    out('l-4', 'label', 1, NOW * 1000), out('ghost', 'label', 1, NOW * 1000), out('l-0', 'value', 30, NOW * 1000), out('l-4', 'value', 10, NOW * 1000)
  ])
  await iso.ch.insert('outcome_monitor', [{ run_at: NOW - 5, model: 'fraud', version: 'v2', window_from: NOW - 3600, window_to: NOW, reference_from: NOW - 7200, reference_to: NOW - 3600, requests: 2, metric: 'accuracy', value: 0.5, reference_value: 0.8, change: -0.3, output_psi: 0.1, input_psi_max: 0.9, input_psi: '{"amount":0.9}', match_rate: 1, coverage: 0.5, stale: 1, reasons: 'input drift: amount PSI 0.900' }])
  await iso.ch.insert('health_checks', [{ time: NOW - 10, millis: 1, instance_id: 'gw', model: 'fraud', version: 'v1', replica: 'http://127.0.0.1:1', kind: 'http', ok: 0, latency_ms: 3, status: 503, error: 'status 503' }])
}, 60_000)
afterAll(async () => { await dropIsolated(iso) })

async function namedQueries (): Promise<Map<string, string>> {
  const all = await loadNamedQueries(join(REPO, 'config', 'clickhouse', 'queries.sql'))
  return new Map(all.map(q => [q.name, forDatabase(q.sql, iso.db)]))
}

describe('analyst queries', () => {
  it('every query in queries.sql runs and the key ones give the known answers', async () => {
    const qs = await namedQueries()
    expect(qs.size).toBeGreaterThanOrEqual(8)
    const params = { model: 'fraud', since: NOW - 3600 }
    const results = new Map<string, Array<Record<string, unknown>>>()
    for (const [name, sql] of qs) {
      try {
        results.set(name, await iso.ch.select(sql, params))
      } catch (err) {
        throw new Error(`query ${name} failed: ${(err as Error).message}`)
      }
    }
    expect(results.get('requests_per_version')!.map(r => [r.version, Number(r.n), r.share_pct])).toEqual([['v1', 90, 90], ['v2', 10, 10]])
    expect(results.get('error_rate_per_version')!.map(r => [r.version, r.pct_5xx])).toEqual([['v1', 0], ['v2', 20]])
    expect(results.get('latency_percentiles_by_minute')!.map(r => [r.version, r.p50_ms_le, r.p99_ms_le])).toEqual([['v1', 5, 5], ['v2', 10, 10]])
    const dist = results.get('prediction_distribution_per_version')!.map(r => [r.version, r.bin_from, Number(r.predictions)])
    expect(dist).toEqual([['v1', 0.2, 10], ['v2', 0.6, 8]])
    expect(results.get('mean_prediction_per_version')!.map(r => [r.version, r.mean_p])).toEqual([['v1', 0.2], ['v2', 0.6]])
    expect(results.get('batch_vs_live_per_version')!.map(r => [r.version, r.kind, Number(r.n)])).toEqual([['v1', 'batch', 500], ['v1', 'live', 90], ['v2', 'live', 10]])
    expect(results.get('sample_weighted_requests_per_version')!.map(r => [r.version, Number(r.estimated_requests)])).toEqual([['v1', 20], ['v2', 20]])
    expect(results.get('sampled_errors')!).toHaveLength(2)
    expect(results.get('health_checks_per_replica')!.map(r => Number(r.failed))).toEqual([1])
    // v1: l-0 (0.9, 1) right, l-1 (0.2, 0 after the correction) right, l-2 (0.7, 0) wrong, l-3 unlabelled; v2: l-4 (0.6, 1) right.
    expect(results.get('outcome_accuracy_per_version')!.map(r => [r.version, Number(r.requests), Number(r.labelled), r.accuracy, r.brier])).toEqual([['v1', 4, 3, 0.6667, 0.18], ['v2', 2, 1, 1, 0.16]])
    expect(results.get('business_value_per_version')!.map(r => [r.version, Number(r.requests), r.value_per_request, r.positive_rate])).toEqual([['v1', 4, 7.5, 0.25], ['v2', 2, 5, 0.5]])
    expect(results.get('unmatched_outcomes')!.map(r => [r.kind, Number(r.outcomes), Number(r.unmatched)])).toEqual([['label', 5, 1], ['value', 2, 0]])
    expect(results.get('latest_monitor_results')!.map(r => [r.version, Number(r.stale), r.reasons])).toEqual([['v2', 1, 'input drift: amount PSI 0.900']])
  })

  it('model-gateway report prints the per-version comparison', () => {
    const r = spawnSync(process.execPath, [CLI, 'report', 'fraud', '--since', '1h', '--clickhouse', iso.env.CLICKHOUSE_URL, '--database', iso.db], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^v1\s+90\s+90\.00%\s+0\.00%\s+0\.00%\s+3\.0\s+.*\s10\s+0\.2000$/m)
    expect(r.stdout).toMatch(/^v2\s+10\s+10\.00%\s+0\.00%\s+20\.00%\s+3\.0\s+.*\s10\s+0\.6000$/m)
  })

  it('report rejects bad input with a message naming it', () => {
    const r = spawnSync(process.execPath, [CLI, 'report', 'fraud', '--since', 'yesterday'], { encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('"yesterday" is not a duration')
  })

  it('strings quoted for servers without query parameters come back unchanged', async () => {
    const samples = [...fc.sample(fc.string({ unit: 'binary-ascii', maxLength: 30 }), 30), ...fc.sample(fc.string({ unit: 'grapheme', maxLength: 10 }), 20)]
    samples.push("'; DROP DATABASE x; --", 'a\\', '\\\'', 'tab\there', 'nul\0byte', 'ünï©ødé ✓')
    const sql = `SELECT ${samples.map((s, i) => `${quoteString(s)} AS s${i}`).join(', ')}`
    const [row] = await iso.ch.select<Record<string, string>>(sql)
    samples.forEach((s, i) => { expect(row![`s${i}`]).toBe(s) })
  })
})
