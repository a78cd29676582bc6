// The Grafana dashboards in config/grafana: each is a dashboard Grafana can load
// (uid, title, schema version, panels with a place, a data source and targets),
// every Prometheus metric a panel queries is on a real gateway's /metrics, and
// every ClickHouse query runs on the project's own tables (the real server,
// migrated as the sink migrates it) and finds the rows put there.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO, dropIsolated, isolated, type Isolated } from './pipeline-harness.js'
import { missingMetrics, scrapeBusyGateway, type Scraped } from '../support/metrics-scrape.js'
import { LATENCY_CELLS } from '../../gateway/observe/records.js'

interface Target { refId: string, expr?: string, rawSql?: string, datasource: { type: string } }
interface Panel { id: number, type: string, title: string, gridPos: { x: number, y: number, w: number, h: number }, datasource: { type: string, uid: string }, targets: Target[] }
interface Variable { name: string, type: string, query: unknown, datasource?: { type: string } }
interface Dashboard { uid: string, title: string, schemaVersion: number, panels: Panel[], templating: { list: Variable[] }, time: { from: string, to: string } }

const DIR = join(REPO, 'config', 'grafana')
const PROMETHEUS = 'prometheus'
const CLICKHOUSE = 'grafana-clickhouse-datasource'

async function dashboards (): Promise<Map<string, Dashboard>> {
  const out = new Map<string, Dashboard>()
  for (const f of (await readdir(DIR)).filter(f => f.endsWith('.json')).sort()) out.set(f, JSON.parse(await readFile(join(DIR, f), 'utf8')) as Dashboard)
  return out
}

function targets (d: Dashboard): Target[] {
  return d.panels.flatMap(p => p.targets)
}

describe('Grafana dashboards: structure', () => {
  it('has the traffic, releases and scoring-logs dashboards', async () => {
    expect([...(await dashboards()).keys()]).toEqual(['releases.json', 'scoring-logs.json', 'traffic.json'])
  })

  it('gives each dashboard a unique uid, a title, a schema version, a time range and panels with unique ids that fit the 24-column grid', async () => {
    const uids = new Set<string>()
    for (const [f, d] of await dashboards()) {
      expect(d.uid, f).toMatch(/^[a-z0-9-]{1,40}$/)
      expect(uids.has(d.uid), f).toBe(false)
      uids.add(d.uid)
      expect(d.title, f).not.toBe('')
      expect(d.schemaVersion, f).toBeGreaterThanOrEqual(36)
      expect(d.time.from, f).toMatch(/^now-/)
      expect(d.panels.length, f).toBeGreaterThan(3)
      expect(new Set(d.panels.map(p => p.id)).size, f).toBe(d.panels.length)
      for (const p of d.panels) {
        expect(p.title, `${f} panel ${p.id}`).not.toBe('')
        expect(p.gridPos.x + p.gridPos.w, `${f} ${p.title}`).toBeLessThanOrEqual(24)
        expect(p.gridPos.h, `${f} ${p.title}`).toBeGreaterThan(0)
        expect(p.targets.length, `${f} ${p.title}`).toBeGreaterThan(0)
        expect(new Set(p.targets.map(t => t.refId)).size, `${f} ${p.title}`).toBe(p.targets.length)
      }
    }
  })

  it('takes every panel\'s data source from the dashboard\'s datasource variable, one kind per dashboard, with a query of that kind in each target', async () => {
    for (const [f, d] of await dashboards()) {
      const dsVar = d.templating.list.find(v => v.name === 'datasource')
      expect(dsVar?.type, f).toBe('datasource')
      const kind = dsVar!.query as string
      expect([PROMETHEUS, CLICKHOUSE], f).toContain(kind)
      for (const p of d.panels) {
        expect(p.datasource, `${f} ${p.title}`).toEqual({ type: kind, uid: '${datasource}' })
        for (const t of p.targets) {
          expect(t.datasource.type).toBe(kind)
          if (kind === PROMETHEUS) expect(t.expr, `${f} ${p.title}`).toMatch(/model_gateway_/)
          else expect(t.rawSql, `${f} ${p.title}`).toMatch(/FROM model_gateway\./)
        }
      }
    }
  })

  it('defines every $variable a query uses', async () => {
    const builtin = new Set(['__rate_interval', '__interval', '__timeFilter', '__fromTime', '__toTime'])
    for (const [f, d] of await dashboards()) {
      const defined = new Set(d.templating.list.map(v => v.name))
      for (const t of targets(d)) {
        const text = t.expr ?? t.rawSql ?? ''
        for (const m of text.matchAll(/\$\{?(\w+)/g)) {
          if (!builtin.has(m[1]!)) expect(defined.has(m[1]!), `${f}: $${m[1]} in ${text}`).toBe(true)
        }
      }
    }
  })
})

describe('Grafana dashboards: every Prometheus metric is on a real gateway\'s /metrics', () => {
  let scraped: Scraped
  beforeAll(async () => { scraped = await scrapeBusyGateway() }, 120_000)

  it('finds every metric name of every Prometheus query among the families the gateway exposes', async () => {
    const used: string[] = []
    for (const d of (await dashboards()).values()) {
      for (const t of targets(d)) for (const m of (t.expr ?? '').matchAll(/\bmodel_gateway_[a-z0-9_]+/g)) used.push(m[0])
    }
    expect(new Set(used).size).toBeGreaterThan(10)
    expect(missingMetrics(used, scraped.families)).toEqual([])
  })

  it('has samples for the release metrics the releases dashboard draws', () => {
    expect(scraped.exposition).toMatch(/^model_gateway_rollout_phase\{model="fraud",version="v3",phase="aborted"\} 1$/m)
    expect(scraped.exposition).toMatch(/^model_gateway_rollouts_ended_total\{model="fraud",outcome="aborted"\} 1$/m)
    expect(scraped.exposition).toMatch(/^model_gateway_split_weight_bp\{model="fraud",version="v1"\} 10000$/m)
    expect(scraped.exposition).toMatch(/^model_gateway_rollout_weight_bp\{model="fraud",version="v3"\} 0$/m)
  })
})

describe('Grafana dashboards: every ClickHouse query runs on the project\'s tables', () => {
  let iso: Isolated
  const now = Math.floor(Date.now() / 1000)
  beforeAll(async () => {
    iso = await isolated('dashboards')
    const cells = (at: number, n: number): number[] => Array.from({ length: LATENCY_CELLS }, (_, i) => i === at ? n : 0)
    const body = JSON.stringify({ outputs: [{ name: 'fraud_probability', datatype: 'FP64', shape: [1], data: [0.3] }] })
    await iso.ch.insert('records', [0, 1, 2].map(i => ({
      time: now - 60, millis: i, request_id: `d-${i}`, model: 'fraud', version: i === 2 ? 'v2' : 'v1', replica: 'http://127.0.0.1:1', instance_id: 'gw', release: 'v1>v2#1',
      status: 200, error_code: '', total_ms: 3, upstream_ms: 2, sticky_hash: 1, has_sticky_key: 1, sample_rate: 0.5, fallback: 0, request_body: '{}', response_body: body
    })))
    const minute = Math.floor(now / 60) * 60 - 60
    await iso.ch.insert('rollups', [
      { minute, model: 'fraud', version: 'v1', instance_id: 'gw', run_id: 'r', status_class: 2, flush_seq: 1, requests: 90, latency_sum_ms: 270, latency_buckets: cells(2, 90), traffic: 'live' },
      { minute, model: 'fraud', version: 'v2', instance_id: 'gw', run_id: 'r', status_class: 5, flush_seq: 1, requests: 10, latency_sum_ms: 30, latency_buckets: cells(3, 10), traffic: 'live' }
    ])
    await iso.ch.insert('health_checks', [{ time: now - 30, millis: 1, instance_id: 'gw', model: 'fraud', version: 'v1', replica: 'http://127.0.0.1:1', kind: 'http', ok: 0, latency_ms: 3, status: 503, error: 'status 503' }])
    await iso.ch.insert('shadow_pairs', [{
      time: now - 30, millis: 1, request_id: 's-1', model: 'fraud', instance_id: 'gw', primary_version: 'v1', primary_status: 200, primary_ms: 2, primary_output: '[0.3]',
      shadow_version: 'v2', shadow_status: 200, shadow_ms: 3, shadow_error: '', shadow_output: '[0.31]', comparable: 1, exact: 0, max_abs_diff: 0.01
    }])
  }, 60_000)
  afterAll(async () => { await dropIsolated(iso) })

  /** A query as the ClickHouse data source sends it for the last hour and model "fraud", on the test's database. */
  const expand = (sql: string): string => sql
    .replace(/\$__timeFilter\((\w+)\)/g, (_m, col: string) => `${col} >= toDateTime(${now - 3600}) AND ${col} <= toDateTime(${now + 60})`)
    .replace(/\$\{model\}/g, 'fraud')
    .replace(/model_gateway\./g, `${iso.db}.`)

  it('runs every panel query and the model variable\'s query, each returning rows', async () => {
    const d = (await dashboards()).get('scoring-logs.json')!
    const queries = [...d.panels.flatMap(p => p.targets.map(t => ({ title: p.title, sql: t.rawSql! }))), { title: 'variable model', sql: d.templating.list.find(v => v.name === 'model')!.query as string }]
    expect(queries.length).toBeGreaterThan(5)
    for (const q of queries) {
      const rows = await iso.ch.select<Record<string, unknown>>(expand(q.sql)).catch((err: Error) => { throw new Error(`${q.title}: ${err.message}`) })
      expect(rows.length, q.title).toBeGreaterThan(0)
    }
  })
})
