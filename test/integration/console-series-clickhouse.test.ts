// The console's series from ClickHouse (a fleet's rollups and sampled records):
// the queries run on the real server and fold rows into per-version steps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dropIsolated, isolated, type Isolated } from './pipeline-harness.js'
import { ClickHouseSeries } from '../../gateway/release/series-clickhouse.js'
import { LATENCY_CELLS } from '../../gateway/observe/records.js'
import { seriesPoint } from '../../gateway/admin/series-routes.js'

describe('ClickHouseSeries', () => {
  let iso: Isolated
  let series: ClickHouseSeries
  const minute = Math.floor(Date.now() / 60_000) * 60 - 120
  beforeAll(async () => {
    iso = await isolated('series')
    series = new ClickHouseSeries({ url: iso.env.CLICKHOUSE_URL, database: iso.db })
    const cells = (at: number, n: number): number[] => Array.from({ length: LATENCY_CELLS }, (_, i) => i === at ? n : 0)
    const roll = (m: number, version: string, cls: number, requests: number, extra: object = {}) => ({
      minute: m, model: 'fraud', version, instance_id: 'gw', run_id: 'r', status_class: cls, flush_seq: 1, requests, latency_sum_ms: requests * 3, latency_buckets: cells(2, requests), traffic: 'live', ...extra
    })
    await iso.ch.insert('rollups', [roll(minute, 'v1', 2, 120), roll(minute, 'v2', 2, 18), roll(minute, 'v2', 5, 2), roll(minute + 60, 'v1', 2, 60), roll(minute, 'v1', 2, 999, { traffic: 'batch', instance_id: 'batch' })])
    const body = (p: number): string => JSON.stringify({ outputs: [{ name: 'fraud_probability', data: [p] }] })
    await iso.ch.insert('records', [0.1, 0.2, 0.3].map((p, i) => ({
      time: minute + 10, millis: i, request_id: `s-${i}`, model: 'fraud', version: 'v2', replica: 'r', instance_id: 'gw', release: 'x', status: 200, error_code: '',
      total_ms: 3, upstream_ms: 2, sticky_hash: 0, has_sticky_key: 0, sample_rate: 1, fallback: 0, request_body: '{}', response_body: body(p), traffic: 'live'
    })))
  }, 60_000)
  afterAll(async () => {
    await series?.close()
    await dropIsolated(iso)
  })

  it('folds live rollups and sampled outputs into per-minute steps per version, batch traffic left out', async () => {
    const b = await series.buckets('fraud', ['v1', 'v2', 'v3'], minute - 60, minute + 120, 60)
    expect([...b.keys()]).toEqual(['v1', 'v2', 'v3'])
    expect(b.get('v1')!.get(minute)).toMatchObject({ requests: 120, errors: 0 })
    expect(b.get('v1')!.get(minute + 60)).toMatchObject({ requests: 60 })
    expect(b.get('v2')!.get(minute)).toMatchObject({ requests: 20, errors: 2 })
    expect(b.get('v2')!.get(minute)!.outputs.sort()).toEqual([0.1, 0.2, 0.3])
    expect(b.get('v3')!.size).toBe(0)
    expect(seriesPoint(minute, 60, b.get('v2')!.get(minute)!)).toMatchObject({ errorRate: 0.1, output: { n: 3, p50: 0.2 } })
  })
})
