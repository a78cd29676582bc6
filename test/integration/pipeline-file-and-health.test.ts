// The embedded file sink (NDJSON) and health-check results through the
// pipeline: real gateway and model processes; the file written by the gateway,
// health rows read back from ClickHouse.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { dropIsolated, gatewayConfig, isolated, load, metricValue, startSink, type Isolated, type SinkProcess } from './pipeline-harness.js'
import { eventually } from '../support/eventually.js'

let models: ModelProcess[] = []
let gateways: GatewayProcess[] = []
let sinks: SinkProcess[] = []
let iso: Isolated | undefined
let dir: string | undefined

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
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  gateways = []
  sinks = []
  iso = undefined
  dir = undefined
})

const urls = (v: string): string[] => models.filter(m => m.version === v).map(m => m.url)

describe('scoring-log sinks', () => {
  it('logging.sink file appends records, rollups and health results as NDJSON, flushed on shutdown', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pipeline-file-'))
    const file = join(dir, 'scoring.ndjson')
    const cfg = gatewayConfig({ iso: { env: { KAFKA_BROKERS: 'unused:1' }, prefix: 'unused' } as Isolated, v1: urls('v1'), v2: urls('v2'), logging: { sink: 'file', file, kafkaBrokers: undefined, topicPrefix: undefined } }) as { models: { fraud: { healthCheck: object } } }
    cfg.models.fraud.healthCheck = { enabled: true, intervalMs: 200 }
    const gw = await startGatewayProcess(cfg)
    gateways.push(gw)
    const r = await load(gw.url, 120, { concurrency: 4 })
    expect(r.failed).toBe(0)
    // Health results for both versions exist before the shutdown flush.
    await eventually(async () => {
      for (const version of ['v1', 'v2']) expect(await metricValue(gw.adminUrl!, 'model_gateway_health_check_duration_seconds_count', `model="fraud",version="${version}",result="ok"`)).toBeGreaterThan(0)
    })
    const stopped = await gw.stop()
    expect(stopped.code).toBe(0)

    const lines = (await readFile(file, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as { kind: string, row: Record<string, unknown> })
    const records = lines.filter(l => l.kind === 'records')
    expect(new Set(records.map(l => l.row.request_id)).size).toBe(120)
    // Cumulative rollup rows: the latest per cell holds the total.
    const cells = new Map<string, { seq: number, n: number }>()
    for (const l of lines.filter(x => x.kind === 'rollups')) {
      const k = `${l.row.version}/${l.row.minute}/${l.row.status_class}`
      if ((cells.get(k)?.seq ?? -1) < (l.row.flush_seq as number)) cells.set(k, { seq: l.row.flush_seq as number, n: l.row.requests as number })
    }
    expect([...cells.values()].reduce((a, c) => a + c.n, 0)).toBe(120)
    const health = lines.filter(l => l.kind === 'health')
    expect(health.length).toBeGreaterThan(0)
    expect(new Set(health.map(h => h.row.version))).toEqual(new Set(['v1', 'v2']))
  }, 60_000)

  it('health-check results reach ClickHouse through Kafka and the sink', async () => {
    iso = await isolated('health')
    sinks.push(await startSink(iso))
    const cfg = gatewayConfig({ iso, v1: urls('v1'), v2: urls('v2'), instanceId: 'gw-health' }) as { models: { fraud: { healthCheck: object } } }
    cfg.models.fraud.healthCheck = { enabled: true, intervalMs: 200 }
    gateways.push(await startGatewayProcess(cfg))
    const rows = await eventually(async () => {
      const r = await iso!.ch.select<{ version: string, ok: string, n: string }>(
        `SELECT version, min(ok) AS ok, count() AS n FROM ${iso!.db}.health_checks FINAL WHERE instance_id = 'gw-health' GROUP BY version ORDER BY version`)
      expect(r).toHaveLength(2)
      return r
    }, { timeoutMs: 30_000, intervalMs: 500 })
    expect(rows.map(r => [r.version, Number(r.ok)])).toEqual([['v1', 1], ['v2', 1]])
  }, 60_000)
})
