import { describe, expect, it } from 'vitest'
import { Registry } from 'prom-client'
import { pino } from 'pino'
import { ScoringPipeline } from '../../gateway/observe/pipeline.js'
import type { PipelineBatch, PipelineTransport } from '../../gateway/observe/transport.js'
import type { RequestOutcome } from '../../gateway/observe/outcome.js'
import { decodeLedger, type LedgerRow } from '../../gateway/observe/ledger-row.js'

class MemoryTransport implements PipelineTransport {
  readonly name = 'memory'
  down = false
  ledger: LedgerRow[] = []
  records = 0
  async send (b: PipelineBatch): Promise<void> {
    if (this.down) throw new Error('broker unreachable')
    for (const m of b.ledger) decodeLedger(m.value, this.ledger)
    this.records += b.records.length
  }

  async close (): Promise<void> {}
}

const SAMPLING = { rate: 0, versions: {}, alwaysSampleErrors: false, captureBodies: false, maxBodyBytes: 0 }
const MODELS = {
  fraud: { sampling: SAMPLING, outcomes: { ledger: true, prediction: null, label: 'binary', threshold: 0.5 } },
  other: { sampling: SAMPLING, outcomes: null }
} as never

function outcome (i: number, over: Partial<RequestOutcome> = {}): RequestOutcome {
  return {
    requestId: `r-${i}`, model: 'fraud', version: 'v1', replica: 'http://m', release: 'v1>#1', status: 200, errorCode: null, startedAt: 1_900_000_000_000 + i,
    totalMs: 3, upstreamMs: 2, fallback: false, stickyKey: undefined, requestBody: null, responseBody: null, traffic: 'live', kind: 'infer', requestHeaderLength: -1, requestEncoding: null, responseHeaderLength: -1, ...over
  }
}

function pipeline (t: PipelineTransport, registry?: Registry): ScoringPipeline {
  const logger = pino({ level: 'silent' })
  return new ScoringPipeline({ instanceId: 'gw', models: MODELS, bufferMaxRecords: 100, bufferMaxBytes: 1_000_000, flushIntervalMs: 10_000, rollupFlushMs: 10_000, transport: t, logger, registry })
}

describe('ScoringPipeline and the assignment ledger', () => {
  it('every live request of a model with a ledger goes to it, whatever the sampling; batch traffic and other models do not', async () => {
    const t = new MemoryTransport()
    const registry = new Registry()
    const p = pipeline(t, registry)
    for (let i = 0; i < 50; i++) p.observe(outcome(i))
    p.observe(outcome(50, { traffic: 'batch' }))
    p.observe(outcome(51, { model: 'other' }))
    p.observe(outcome(52, { version: null, status: 404 }))
    await p.flush()
    expect(t.records).toBe(0)
    expect(t.ledger.map(r => r.request_id)).toEqual(Array.from({ length: 50 }, (_, i) => `r-${i}`))
    expect(await registry.getSingleMetricAsString('model_gateway_pipeline_records_sent_total')).toContain('model_gateway_pipeline_records_sent_total{kind="ledger"} 50')
  })

  it('keeps ledger segments while the transport fails and sends them once it is back', async () => {
    const t = new MemoryTransport()
    const p = pipeline(t)
    t.down = true
    for (let i = 0; i < 10; i++) p.observe(outcome(i))
    await p.flush()
    expect(p.ledgerBytes).toBeGreaterThan(0)
    t.down = false
    await p.flush()
    expect(t.ledger).toHaveLength(10)
    expect(p.ledgerBytes).toBe(0)
  })
})
