import { afterEach, describe, expect, it, vi } from 'vitest'
import { pino } from 'pino'
import { ScoringPipeline, SEND_AT_RECORDS, TICK_MS } from '../../gateway/observe/pipeline.js'
import type { PipelineBatch, PipelineTransport } from '../../gateway/observe/transport.js'
import type { RequestOutcome } from '../../gateway/observe/outcome.js'

// Issue 10: a send has a fixed cost, so the buffer is sent once per
// flushIntervalMs — or sooner, as soon as SEND_AT_RECORDS records wait.

class CountingTransport implements PipelineTransport {
  readonly name = 'memory'
  sends: number[] = []
  async send (b: PipelineBatch): Promise<void> {
    if (b.records.length > 0) this.sends.push(b.records.length)
  }

  async close (): Promise<void> {}
}

const MODELS = { fraud: { sampling: { rate: 1, versions: {}, alwaysSampleErrors: true, captureBodies: false, maxBodyBytes: 0 } } } as never

function outcome (i: number): RequestOutcome {
  return {
    requestId: `r-${i}`, model: 'fraud', version: 'v1', replica: 'http://m', release: 'v1', status: 200, errorCode: null, startedAt: Date.now(),
    totalMs: 3, upstreamMs: 2, fallback: false, stickyKey: undefined, requestBody: null, responseBody: null, traffic: 'live', kind: 'infer', requestHeaderLength: -1, requestEncoding: null, responseHeaderLength: -1
  }
}

afterEach(() => { vi.useRealTimers() })

describe('ScoringPipeline send batching', () => {
  it('after a quiet spell sends at the next tick, then waits flushIntervalMs for a few records but sends SEND_AT_RECORDS at the next tick', async () => {
    vi.useFakeTimers()
    const t = new CountingTransport()
    const p = new ScoringPipeline({ instanceId: 'gw', models: MODELS, bufferMaxRecords: 10 * SEND_AT_RECORDS, bufferMaxBytes: 64e6, flushIntervalMs: 1_000, rollupFlushMs: 60_000, transport: t, logger: pino({ level: 'silent' }) }).start()
    // After a quiet spell the first record goes at the next tick ...
    p.observe(outcome(0))
    await vi.advanceTimersByTimeAsync(TICK_MS)
    expect(t.sends).toEqual([1])
    // ... then records wait for flushIntervalMs since that send.
    for (let i = 1; i <= 10; i++) p.observe(outcome(i))
    await vi.advanceTimersByTimeAsync(500)
    expect(t.sends).toEqual([1])
    await vi.advanceTimersByTimeAsync(500)
    expect(t.sends).toEqual([1, 10])

    for (let i = 0; i < SEND_AT_RECORDS; i++) p.observe(outcome(100 + i))
    await vi.advanceTimersByTimeAsync(TICK_MS)
    expect(t.sends).toEqual([1, 10, SEND_AT_RECORDS])
    await p.close()
  })
})
