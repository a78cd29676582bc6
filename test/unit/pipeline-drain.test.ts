import { describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { pino } from 'pino'
import { ScoringPipeline } from '../../gateway/observe/pipeline.js'
import type { PipelineBatch, PipelineTransport } from '../../gateway/observe/transport.js'
import type { RequestOutcome } from '../../gateway/observe/outcome.js'
import type { RollupRow, ScoringRecord } from '../../gateway/observe/records.js'

/** In-memory transport that can be switched to fail, like a broker going away. */
class FlakyTransport implements PipelineTransport {
  readonly name = 'memory'
  down = false
  records: ScoringRecord[] = []
  rollups: RollupRow[] = []
  calls = 0
  async send (b: PipelineBatch): Promise<void> {
    this.calls++
    if (this.down) throw new Error('broker unreachable')
    this.records.push(...b.records.map(m => JSON.parse(m.value) as ScoringRecord))
    this.rollups.push(...b.rollups.map(m => JSON.parse(m.value) as RollupRow))
  }

  async close (): Promise<void> {}
}

const MODELS = { fraud: { sampling: { rate: 1, versions: {}, alwaysSampleErrors: true, captureBodies: true, maxBodyBytes: 8 } } } as never

function outcome (i: number, version = 'v1', status = 200): RequestOutcome {
  return {
    requestId: `r-${i}`, model: 'fraud', version, replica: 'http://m', release: 'v1', status, errorCode: null, startedAt: 1_900_000_000_000 + i,
    totalMs: 3, upstreamMs: 2, fallback: false, stickyKey: 'user-secret-key', requestBody: Buffer.from('{"inputs":[1,2,3]}'), responseBody: Buffer.from('{"outputs":[]}'), traffic: 'live', kind: 'infer', requestHeaderLength: -1, requestEncoding: null, responseHeaderLength: -1
  }
}

function pipeline (transport: PipelineTransport, bufferMaxRecords = 100, registry?: Registry): ScoringPipeline {
  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (s: string) => { lines.push(s) } })
  return new ScoringPipeline({ instanceId: 'gw', models: MODELS, bufferMaxRecords, bufferMaxBytes: 1_000_000, flushIntervalMs: 10_000, rollupFlushMs: 10_000, transport, logger, registry })
}

/** Latest cumulative row per cell, as ClickHouse keeps it. */
function totals (rows: RollupRow[]): number {
  const cells = new Map<string, RollupRow>()
  for (const r of rows) {
    const k = `${r.version}/${r.minute}/${r.status_class}/${r.run_id}`
    if ((cells.get(k)?.flush_seq ?? -1) < r.flush_seq) cells.set(k, r)
  }
  return [...cells.values()].reduce((a, r) => a + r.requests, 0)
}

describe('ScoringPipeline', () => {
  it('builds records without the raw sticky key and with bodies truncated', async () => {
    const t = new FlakyTransport()
    const p = pipeline(t)
    p.observe(outcome(1))
    await p.flush()
    expect(t.records).toHaveLength(1)
    const r = t.records[0]!
    expect(JSON.stringify(r)).not.toContain('user-secret-key')
    expect(r.has_sticky_key).toBe(1)
    expect(r.request_body).toBe('{"inputs')
    expect(r.sample_rate).toBe(1)
    expect([r.time, r.millis]).toEqual([1_900_000_000, 1])
  })

  it('keeps the batch while the transport fails, drops only beyond the bound, and keeps rollups exact', async () => {
    const t = new FlakyTransport()
    const registry = new Registry()
    const p = pipeline(t, 50, registry)
    t.down = true
    for (let i = 0; i < 80; i++) p.observe(outcome(i))
    await p.flush()
    expect(p.bufferedRecords).toBe(50)
    for (let i = 80; i < 120; i++) p.observe(outcome(i, 'v2'))
    await p.flush()
    expect(p.bufferedRecords).toBe(50)
    expect(t.records).toHaveLength(0)

    t.down = false
    await p.flush()
    expect(t.records.map(r => r.request_id)).toEqual(Array.from({ length: 50 }, (_, i) => `r-${i}`))
    expect(p.bufferedRecords).toBe(0)
    // Rollups of all 120 requests arrived although Kafka was "down" for most of them.
    expect(totals(t.rollups)).toBe(120)
    expect(p.pendingRollups).toBe(0)

    const text = await registry.metrics()
    expect(text).toMatch(/model_gateway_pipeline_records_dropped_total\{kind="record"\} 70/)
    expect(text).toMatch(/model_gateway_pipeline_records_sent_total\{kind="record"\} 50/)
    expect(text).toMatch(/model_gateway_pipeline_records_sampled_total 120/)
    expect(text).toMatch(/model_gateway_pipeline_buffer_records 0/)
  })

  it('close gives up on a transport that never answers instead of hanging shutdown', async () => {
    const hung: PipelineTransport = { name: 'hung', send: () => new Promise(() => {}), close: () => new Promise(() => {}) }
    const p = pipeline(hung)
    p.observe(outcome(1))
    void p.flush()
    await p.close()
    expect(p.bufferedRecords).toBe(1)
  }, 10_000)

  it('close sends what is left', async () => {
    const t = new FlakyTransport()
    const p = pipeline(t)
    for (let i = 0; i < 10; i++) p.observe(outcome(i))
    await p.close()
    expect(t.records).toHaveLength(10)
    expect(totals(t.rollups)).toBe(10)
  })
})
