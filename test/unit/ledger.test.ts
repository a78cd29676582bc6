import { describe, expect, it } from 'vitest'
import { LedgerBuffer, SEGMENT_BYTES } from '../../gateway/observe/ledger.js'
import { decodeLedger, encodeNames, LedgerFormatError, NO_BUCKET, writeRow, type LedgerRow } from '../../gateway/observe/ledger-row.js'
import { bucketOf } from '../../gateway/routing/buckets.js'
import type { RequestOutcome } from '../../gateway/observe/outcome.js'

const OUTCOMES = { ledger: true, prediction: 'fraud_probability', label: 'binary' as const, threshold: 0.5 }
const MODELS = { fraud: { outcomes: OUTCOMES }, plain: { outcomes: null } }

function outcome (i: number, over: Partial<RequestOutcome> = {}): RequestOutcome {
  return {
    requestId: `req-${i}`, model: 'fraud', version: 'v1', replica: 'http://m', release: 'v1>v2#3', status: 200, errorCode: null,
    startedAt: 1_800_000_000_000 + i, totalMs: 1, upstreamMs: 1, fallback: false, stickyKey: `user-${i}`, seed: 77,
    requestBody: null, responseBody: Buffer.from(`{"outputs":[{"name":"fraud_probability","datatype":"FP64","shape":[1],"data":[0.${i % 10}5]}]}`),
    traffic: 'live', kind: 'infer', requestHeaderLength: -1, requestEncoding: null, responseHeaderLength: -1, ...over
  }
}

function rowsOf (b: LedgerBuffer): LedgerRow[] {
  const rows: LedgerRow[] = []
  for (const m of b.peek(Infinity)) decodeLedger(m.value, rows)
  return rows
}

describe('ledger rows (RowBinary)', () => {
  it('a row written is read back field by field, a non-ASCII id and a missing prediction included', () => {
    const buf = Buffer.alloc(1024)
    let at = writeRow(buf, 0, 1_800_000_000_123, 'ünï-id', 42, 503, NaN, encodeNames('fraud', 'v2', 'v1>v2#1'))
    at = writeRow(buf, at, 1_800_000_001_000, 'x', NO_BUCKET, 200, 0.25, encodeNames('fraud', 'v1', ''))
    const rows: LedgerRow[] = []
    at = writeRow(buf, at, 1_800_000_002_000, 'i'.repeat(128), 7, 200, 1, encodeNames('fraud', 'v1', ''))
    expect(decodeLedger(buf.subarray(0, at), rows)).toBe(3)
    expect(rows.pop()).toMatchObject({ request_id: 'i'.repeat(128), bucket: 7 })
    expect(rows).toEqual([
      { time: 1_800_000_000, millis: 123, request_id: 'ünï-id', model: 'fraud', version: 'v2', release: 'v1>v2#1', bucket: 42, status: 503, prediction: 0, has_prediction: 0 },
      { time: 1_800_000_001, millis: 0, request_id: 'x', model: 'fraud', version: 'v1', release: '', bucket: NO_BUCKET, status: 200, prediction: 0.25, has_prediction: 1 }
    ])
  })

  it('a cut-off segment or foreign bytes are refused with LedgerFormatError', () => {
    const buf = Buffer.alloc(256)
    const at = writeRow(buf, 0, 1_800_000_000_000, 'abc', 1, 200, 0.5, encodeNames('m', 'v', 'r'))
    expect(() => decodeLedger(buf.subarray(0, at - 1))).toThrow(LedgerFormatError)
    expect(() => decodeLedger(Buffer.from('{"model":"fraud","id":"x"}\n'))).toThrow(LedgerFormatError)
  })
})

describe('LedgerBuffer', () => {
  it('writes every live request of a model with a ledger: version, release, the sticky bucket of the routing seed, the prediction', () => {
    const b = new LedgerBuffer(MODELS, 1 << 20)
    for (let i = 0; i < 5; i++) expect(b.write(outcome(i))).toBe(true)
    expect(b.write(outcome(9, { model: 'plain' }))).toBe(false)
    expect(b.write(outcome(9, { stickyKey: undefined, version: 'v2', status: 500 }))).toBe(true)
    const rows = rowsOf(b)
    expect(rows).toHaveLength(6)
    expect(rows[2]).toMatchObject({ request_id: 'req-2', version: 'v1', release: 'v1>v2#3', bucket: bucketOf('user-2', 77), prediction: 0.25, has_prediction: 1 })
    expect(rows.find(r => r.version === 'v2')).toMatchObject({ bucket: NO_BUCKET, status: 500, has_prediction: 0 })
    expect(b.takeRows()).toBe(6)
  })

  it('peek seals open segments (one message per model and version) and keeps them until release', () => {
    const b = new LedgerBuffer(MODELS, 1 << 20)
    b.write(outcome(1))
    b.write(outcome(2, { version: 'v2' }))
    const first = b.peek(Infinity)
    expect(first.map(m => [m.key, m.rows])).toEqual([['fraud/v1', 1], ['fraud/v2', 1]])
    expect(b.peek(Infinity)).toEqual(first)
    b.release(1)
    expect(b.peek(Infinity).map(m => m.key)).toEqual(['fraud/v2'])
    b.release(1)
    expect(b.bytes).toBe(0)
  })

  it('a full segment is sealed and a new one started; rows span segments without loss', () => {
    const b = new LedgerBuffer(MODELS, 8 << 20)
    const n = 3 * Math.ceil(SEGMENT_BYTES / 60)
    for (let i = 0; i < n; i++) b.write(outcome(i))
    expect(b.segments).toBeGreaterThanOrEqual(2)
    const rows = rowsOf(b)
    expect(rows.map(r => r.request_id)).toEqual(Array.from({ length: n }, (_, i) => `req-${i}`))
  })

  it('segments written into buffers released by earlier sends hold exactly the rows written after the release', () => {
    const b = new LedgerBuffer(MODELS, 8 << 20)
    const perRound = 3 * Math.ceil(SEGMENT_BYTES / 60)
    for (let round = 0; round < 3; round++) {
      const from = round * perRound
      for (let i = from; i < from + perRound; i++) b.write(outcome(i))
      const sent = b.peek(Infinity)
      const rows: LedgerRow[] = []
      for (const m of sent) decodeLedger(m.value, rows)
      expect(rows.map(r => r.request_id)).toEqual(Array.from({ length: perRound }, (_, i) => `req-${from + i}`))
      b.release(sent.length)
      expect(b.bytes).toBe(0)
    }
  })

  it('beyond its byte bound a row is dropped and counted, never waited on', () => {
    const b = new LedgerBuffer(MODELS, SEGMENT_BYTES)
    let written = 0
    for (let i = 0; i < 5_000; i++) if (b.write(outcome(i))) written++
    expect(written).toBeGreaterThan(0)
    expect(b.takeDropped()).toBe(5_000 - written)
    expect(b.bytes).toBeLessThanOrEqual(SEGMENT_BYTES)
    expect(rowsOf(b)).toHaveLength(written)
  })
})
