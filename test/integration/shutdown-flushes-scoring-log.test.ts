// Issue 10: a gateway stopped with SIGTERM sends what its scoring-log pipeline
// holds — records still buffered and rollup counts not yet flushed — before it
// exits. Real gateway and model processes; the embedded file sink, with flush
// intervals far longer than the test, so only the shutdown path can write them.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { gatewayConfig, INFER_BODY, load, type Isolated } from './pipeline-harness.js'
import { runLoad } from '../support/load.js'

let model: ModelProcess | undefined
let gw: GatewayProcess | undefined
let dir: string | undefined

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
})
afterAll(async () => {
  await model?.stop()
})
afterEach(async () => {
  await gw?.stop()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  gw = undefined
  dir = undefined
})

interface Line { kind: string, row: Record<string, unknown> }

describe('graceful shutdown', () => {
  it('SIGTERM writes every buffered record and every rollup count, live and batch traffic in separate cells', async () => {
    dir = await mkdtemp(join(tmpdir(), 'shutdown-flush-'))
    const file = join(dir, 'scoring.ndjson')
    const hour = 3_600_000
    const cfg = gatewayConfig({
      iso: { env: { KAFKA_BROKERS: 'unused:1' }, prefix: 'unused' } as Isolated,
      v1: [model!.url],
      v2: [model!.url],
      logging: { sink: 'file', file, kafkaBrokers: undefined, topicPrefix: undefined, flushIntervalMs: hour, rollupFlushMs: hour }
    })
    gw = await startGatewayProcess(cfg)
    const live = await load(gw.url, 60, { concurrency: 4, idPrefix: 'live' })
    const batch = await batchLoad(gw.url, 40)
    expect(live.failed).toBe(0)
    expect(batch).toBe(40)

    const stopped = await gw.stop()
    expect(stopped.code).toBe(0)
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as Line)
    const records = lines.filter(l => l.kind === 'records').map(l => l.row)
    expect(new Set(records.map(r => r.request_id)).size).toBe(100)
    expect(records.filter(r => r.traffic === 'batch')).toHaveLength(40)
    // Latest cumulative row per cell (as ClickHouse keeps it), summed per traffic kind.
    const cells = new Map<string, { seq: number, n: number, traffic: string }>()
    for (const { row } of lines.filter(l => l.kind === 'rollups')) {
      const k = `${String(row.version)}/${String(row.traffic)}/${String(row.minute)}/${String(row.status_class)}`
      if ((cells.get(k)?.seq ?? -1) < (row.flush_seq as number)) cells.set(k, { seq: row.flush_seq as number, n: row.requests as number, traffic: row.traffic as string })
    }
    const total = (t: string): number => [...cells.values()].filter(c => c.traffic === t).reduce((a, c) => a + c.n, 0)
    expect({ live: total('live'), batch: total('batch') }).toEqual({ live: 60, batch: 40 })
  }, 60_000)
})

/** Requests marked as a batch job's, as the batch scorer sends them; resolves with how many got a 200. */
async function batchLoad (url: string, n: number): Promise<number> {
  const r = await runLoad({ url, concurrency: 1, maxRequests: n, maxMs: 60_000, request: (i) => ({ headers: { 'x-gateway-traffic': 'batch', 'x-request-id': `batch-${i}` }, body: INFER_BODY }) })
  return r.ok
}
