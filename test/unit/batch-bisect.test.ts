import { describe, expect, it } from 'vitest'
import { BatchAbort, BatchInterrupted, scoreBatch, type ScoreContext, type ScoredRow, type Send } from '../../gateway/batch/score.js'
import type { InputMapping } from '../../gateway/batch/rows.js'

// scoreBatch halves a batch the model refuses with a 4xx until the refused rows
// stand alone, retries 5xx and lost connections, and stops the job on an answer
// that no row can fix (404). The transport is a fake: this is the pure policy.

const MAPPING: InputMapping[] = [{ name: 'x', datatype: 'FP64', rowShape: [1], perRow: 1, columns: ['x'] }]
const POISON = -1

function rows (values: number[]): ScoredRow[] {
  return values.map((v, i) => ({ line: i + 1, end: 0, values: [[v]], keep: [] }))
}

/** Doubles x; answers 400 when any row is POISON. */
function fakeModel (): { send: Send, calls: number[] } {
  const calls: number[] = []
  const send: Send = async (inputs) => {
    const data = inputs[0]!.data as number[]
    calls.push(data.length)
    if (data.includes(POISON)) return { ok: false, status: 400, message: 'poison' }
    return { ok: true, version: 'v1', outputs: [{ name: 'y', shape: [data.length], datatype: 'FP64', data: data.map(x => 2 * x) }] }
  }
  return { send, calls }
}

const POLICY = { retries: 3, backoffMs: 1, maxBackoffMs: 2 }

describe('scoreBatch', () => {
  it('rejects only the rows the model refuses, each with the model\'s answer, and scores the rest', async () => {
    const model = fakeModel()
    const ctx: ScoreContext = { mappings: MAPPING, send: model.send, policy: POLICY }
    const batch = rows([1, 2, POISON, 4, 5, 6, 7, POISON, 9, 10, 11, 12, 13, 14, 15, 16])
    await scoreBatch(ctx, batch, undefined)
    expect(batch.filter(r => r.reason !== undefined).map(r => [r.line, r.reason])).toEqual([[3, 'model answered 400: poison'], [8, 'model answered 400: poison']])
    expect(batch.filter(r => r.reason === undefined).map(r => r.predictions)).toEqual([1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16].map(x => [2 * x]))
    expect(batch.every(r => (r.reason === undefined) === (r.version === 'v1'))).toBe(true)
    // 16 rows, 2 bad in different halves: far fewer calls than one per row plus the first.
    expect(model.calls.length).toBeLessThan(16)
  })

  it('retries a 503 and a lost connection, then scores the batch', async () => {
    const model = fakeModel()
    const failures = [{ ok: false as const, status: 503, message: 'busy' }, { ok: false as const, status: 0, message: 'ECONNRESET' }]
    const retries: number[] = []
    const send: Send = async (inputs, version) => failures.shift() ?? model.send(inputs, version)
    const batch = rows([1, 2, 3])
    await scoreBatch({ mappings: MAPPING, send, policy: POLICY, onRetry: (status) => retries.push(status) }, batch, 'v2')
    expect(retries).toEqual([503, 0])
    expect(batch.map(r => r.predictions)).toEqual([[2], [4], [6]])
  })

  it('stops the job with BatchAbort when retries run out, naming the lines', async () => {
    const send: Send = async () => ({ ok: false, status: 502, message: 'upstream down' })
    await expect(scoreBatch({ mappings: MAPPING, send, policy: POLICY }, rows([1, 2]), undefined))
      .rejects.toThrow(new BatchAbort('gave up after 4 attempts at lines 1-2: 502 upstream down'))
  })

  it('stops the job with BatchAbort on 404 instead of rejecting every row', async () => {
    const send: Send = async () => ({ ok: false, status: 404, message: 'no version v9' })
    await expect(scoreBatch({ mappings: MAPPING, send, policy: POLICY }, rows([1, 2]), 'v9'))
      .rejects.toThrow(new BatchAbort('the version v9 answered 404: no version v9'))
  })
})

describe('scoreBatch once the job is told to stop', () => {
  it('sends no retry after a 503 and ends with BatchInterrupted, leaving the rows unscored', async () => {
    const stop = new AbortController()
    let calls = 0
    const send: Send = async () => { calls++; stop.abort(); return { ok: false, status: 503, message: 'busy' } }
    const batch = rows([1, 2, 3])
    await expect(scoreBatch({ mappings: MAPPING, send, policy: POLICY, signal: stop.signal }, batch, undefined)).rejects.toBeInstanceOf(BatchInterrupted)
    expect(calls).toBe(1)
    expect(batch.every(r => r.predictions === undefined && r.reason === undefined)).toBe(true)
  })

  it('does not halve a refused batch to find the bad rows, and ends with BatchInterrupted', async () => {
    const stop = new AbortController()
    const model = fakeModel()
    const send: Send = async (inputs, version) => { stop.abort(); return await model.send(inputs, version) }
    await expect(scoreBatch({ mappings: MAPPING, send, policy: POLICY, signal: stop.signal }, rows([1, POISON, 3, 4]), undefined)).rejects.toBeInstanceOf(BatchInterrupted)
    expect(model.calls).toEqual([4])
  })
})
