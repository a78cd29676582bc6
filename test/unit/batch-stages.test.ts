import { describe, expect, it } from 'vitest'
import { readEntry, type Entry, type EntryRules } from '../../gateway/batch/entry.js'
import { InOrderWriter, type RowSink } from '../../gateway/batch/in-order.js'
import { COMPACT_AT, MicroBatcher } from '../../gateway/batch/micro-batches.js'
import { partitionOf } from '../../gateway/batch/partition.js'
import type { InputMapping } from '../../gateway/batch/rows.js'
import { BatchAbort, type SendOutcome } from '../../gateway/batch/score.js'
import { ScoringPool } from '../../gateway/batch/scoring-pool.js'
import type { RequestTensor } from '../../scorer-sdk/types.js'
import { eventually } from '../support/eventually.js'

// The stages runBatch wires together, each driven alone: reading a line into
// an entry, packing entries into micro-batches, scoring batches with bounded
// concurrency (a fake transport), and writing rows in input order (a fake sink).

const MAPPING: InputMapping[] = [{ name: 'x', datatype: 'FP64', rowShape: [1], perRow: 1, columns: ['x'] }]
const RULES: EntryRules = { inputFormat: 'ndjson', header: undefined, mappings: MAPPING, keep: ['id'], partitionBy: 'bytes' }

function entry (line: number, group = ''): Entry {
  return { line, end: line * 10, values: [[line]], keep: [], text: `{"x":${line}}`, group, sent: false, done: false }
}

describe('readEntry (read and partition rows)', () => {
  it('turns a line into the model inputs and kept columns of one row', () => {
    const e = readEntry(RULES, { text: '{"id":"a","x":2.5}', line: 7, end: 120 })
    expect(e).toMatchObject({ line: 7, end: 120, values: [[2.5]], keep: ['a'], group: '', done: false, sent: false })
    expect(e!.reason).toBeUndefined()
  })

  it('makes a line that is not JSON a done reject with the parse error', () => {
    const e = readEntry(RULES, { text: '{oops', line: 3, end: 40 })
    expect(e!.done).toBe(true)
    expect(e!.reason).toMatch(/^not JSON: /)
  })

  it('makes a row missing a mapped column a done reject', () => {
    const e = readEntry(RULES, { text: '{"id":"a"}', line: 4, end: 50 })
    expect(e!.done).toBe(true)
    expect(e!.reason).toContain('x')
  })

  it('answers null for a line of another hash partition and an entry for a line of its own', () => {
    const rules: EntryRules = { ...RULES, partition: { index: 0, count: 2 }, partitionBy: 'hash', partitionKey: 'id' }
    const ids = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']
    for (const id of ids) {
      const e = readEntry(rules, { text: `{"id":"${id}","x":1}`, line: 1, end: 10 })
      expect(e === null).toBe(partitionOf(id, 1, 2) !== 0)
    }
    expect(new Set(ids.map(id => partitionOf(id, 1, 2))).size).toBe(2)
  })

  it('groups a row under the version its key maps to, and a row without a key under ""', () => {
    const rules: EntryRules = { ...RULES, keyColumn: 'user', versionOf: key => key === 'alice' ? 'v2' : 'v1' }
    expect(readEntry(rules, { text: '{"user":"alice","x":1}', line: 1, end: 10 })!.group).toBe('v2')
    expect(readEntry(rules, { text: '{"user":"bob","x":1}', line: 2, end: 20 })!.group).toBe('v1')
    expect(readEntry(rules, { text: '{"x":1}', line: 3, end: 30 })!.group).toBe('')
  })
})

describe('MicroBatcher (build micro-batches)', () => {
  it('seals a group when it holds batchSize rows and hands batches out in the order they were sealed', () => {
    const b = new MicroBatcher(2, undefined)
    for (const e of [entry(1, 'v1'), entry(2, 'v2'), entry(3, 'v2'), entry(4, 'v1')]) b.add(e)
    expect(b.take()!.rows.map(r => r.line)).toEqual([2, 3])
    expect(b.take()!.rows.map(r => r.line)).toEqual([1, 4])
    expect(b.take()).toBeUndefined()
    expect(b.waiting).toBe(false)
  })

  it('sends the key-less group on the job\'s version and a keyed group on its own version', () => {
    const b = new MicroBatcher(1, 'v9')
    b.add(entry(1, ''))
    b.add(entry(2, 'v3'))
    expect([b.take()!.version, b.take()!.version]).toEqual(['v9', 'v3'])
  })

  it('seal() sends a partial batch as it is and marks its rows sent', () => {
    const b = new MicroBatcher(10, undefined)
    const rows = [entry(1), entry(2)]
    for (const e of rows) b.add(e)
    expect(b.waiting).toBe(false)
    b.seal('')
    expect(rows.every(r => r.sent)).toBe(true)
    expect(b.take()!.rows).toEqual(rows)
    b.seal('')
    expect(b.waiting).toBe(false)
  })

  it('sealAll() seals the partial batch of every group', () => {
    const b = new MicroBatcher(10, undefined)
    b.add(entry(1, 'v1'))
    b.add(entry(2, 'v2'))
    b.sealAll()
    expect([b.take()!.version, b.take()!.version]).toEqual(['v1', 'v2'])
    expect(b.take()).toBeUndefined()
  })

  it('hands out every batch in order across the compaction of its list', () => {
    const b = new MicroBatcher(1, undefined)
    const n = COMPACT_AT + 5
    for (let i = 1; i <= n; i++) b.add(entry(i))
    const lines: number[] = []
    for (let batch = b.take(); batch !== undefined; batch = b.take()) lines.push(batch.rows[0]!.line)
    expect(lines).toEqual(Array.from({ length: n }, (_, i) => i + 1))
  })
})

/** Records what the writer hands the journal. */
function fakeSink (): RowSink & { out: string[], rejects: string[], at: Array<[number, number]> } {
  const sink = {
    out: [] as string[],
    rejects: [] as string[],
    at: [] as Array<[number, number]>,
    add (output: string | undefined, reject: string | undefined, offset: number, nextLine: number) {
      if (output !== undefined) sink.out.push(output)
      if (reject !== undefined) sink.rejects.push(reject)
      sink.at.push([offset, nextLine])
    },
    advance (offset: number, nextLine: number) { sink.at.push([offset, nextLine]) }
  }
  return sink
}

const LINE_FORMAT = { line: (row: { line: number, version?: string }) => `${row.line}@${row.version}\n` }

function scored (e: Entry, version: string): Entry {
  e.predictions = [1]
  e.version = version
  e.done = true
  return e
}

describe('InOrderWriter (write results and rejects)', () => {
  it('writes a row only once every row before it is done, in input order', () => {
    const sink = fakeSink()
    const w = new InOrderWriter(sink, LINE_FORMAT, 0, 0)
    const [a, b, c] = [entry(1), entry(2), entry(3)]
    for (const e of [a, b, c]) w.push(e)
    scored(c, 'v1')
    scored(b, 'v1')
    w.drain()
    expect(sink.out).toEqual([])
    expect(w.pending).toBe(3)
    scored(a, 'v2')
    w.drain()
    expect(sink.out).toEqual(['1@v2\n', '2@v1\n', '3@v1\n'])
    expect(sink.at).toEqual([[10, 2], [20, 3], [30, 4]])
    expect(w.pending).toBe(0)
  })

  it('writes a reject to the rejects with its line, reason and input, and counts rows, rejects and versions apart', () => {
    const sink = fakeSink()
    const w = new InOrderWriter(sink, LINE_FORMAT, 0, 0)
    const bad = entry(2)
    bad.reason = 'not JSON'
    bad.done = true
    for (const e of [scored(entry(1), 'v1'), bad, scored(entry(3), 'v2'), scored(entry(4), 'v1')]) w.push(e)
    w.drain()
    expect(sink.rejects.map(l => JSON.parse(l) as unknown)).toEqual([{ line: 2, reason: 'not JSON', input: '{"x":2}' }])
    expect([w.rows, w.rejects, w.versions]).toEqual([3, 1, { v1: 2, v2: 1 }])
  })

  it('counts input bytes done from the partition\'s first byte', () => {
    const w = new InOrderWriter(fakeSink(), LINE_FORMAT, 5, 0)
    w.push(scored(entry(3), 'v1'))
    w.drain()
    expect(w.bytesDone).toBe(25)
  })

  it('moves the checkpoint past a line of another partition only when no earlier row is waiting', () => {
    const sink = fakeSink()
    const w = new InOrderWriter(sink, LINE_FORMAT, 0, 0)
    w.passOver(10, 2)
    expect(sink.at).toEqual([[10, 2]])
    w.push(entry(2))
    w.passOver(30, 4)
    expect(sink.at).toEqual([[10, 2]])
  })
})

function tensorSend (calls: { inFlight: number, max: number, count: number }, answer: () => Promise<SendOutcome>) {
  return {
    send: async (_inputs: RequestTensor[], _version: string | undefined): Promise<SendOutcome> => {
      calls.inFlight++
      calls.count++
      calls.max = Math.max(calls.max, calls.inFlight)
      try {
        return await answer()
      } finally {
        calls.inFlight--
      }
    }
  }
}

const OK: SendOutcome = { ok: true, version: 'v1', outputs: [{ name: 'y', shape: [1], datatype: 'FP64', data: [1] }] }
const POLICY = { retries: 2, backoffMs: 1, maxBackoffMs: 2 }

describe('ScoringPool (score with retries)', () => {
  it('never has more batches in flight than its concurrency, and marks every scored row done', async () => {
    const calls = { inFlight: 0, max: 0, count: 0 }
    const b = new MicroBatcher(1, undefined)
    const rows = Array.from({ length: 12 }, (_, i) => entry(i + 1))
    for (const e of rows) b.add(e)
    let scoredBatches = 0
    const pool = new ScoringPool(tensorSend(calls, async () => { await new Promise(resolve => setImmediate(resolve)); return OK }), b,
      { mappings: MAPPING, concurrency: 3, policy: POLICY }, () => { scoredBatches++ })
    pool.pump()
    await eventually(() => expect(scoredBatches).toBe(12))
    expect(calls.max).toBe(3)
    expect(rows.every(r => r.done && r.version === 'v1')).toBe(true)
    expect([pool.requests, pool.idle, pool.failure]).toEqual([12, true, undefined])
  })

  it('counts a retried request as a retry and a second request', async () => {
    const calls = { inFlight: 0, max: 0, count: 0 }
    const answers: SendOutcome[] = [{ ok: false, status: 503, message: 'busy' }, OK]
    const b = new MicroBatcher(1, undefined)
    b.add(entry(1))
    let done = false
    const pool = new ScoringPool(tensorSend(calls, async () => answers.shift()!), b, { mappings: MAPPING, concurrency: 1, policy: POLICY }, () => { done = true })
    pool.pump()
    await eventually(() => expect(done).toBe(true))
    expect([pool.requests, pool.retries]).toEqual([2, 1])
  })

  it('sends no batch once its signal is aborted', () => {
    const calls = { inFlight: 0, max: 0, count: 0 }
    const b = new MicroBatcher(1, undefined)
    b.add(entry(1))
    const controller = new AbortController()
    controller.abort()
    const pool = new ScoringPool(tensorSend(calls, async () => OK), b, { mappings: MAPPING, concurrency: 2, policy: POLICY, signal: controller.signal }, () => {})
    pool.pump()
    expect([calls.count, pool.stopped(), b.waiting]).toEqual([0, true, true])
  })

  it('stops on a failure that ends the job, keeps it, and sends no further batch', async () => {
    const calls = { inFlight: 0, max: 0, count: 0 }
    const b = new MicroBatcher(1, undefined)
    for (let i = 1; i <= 3; i++) b.add(entry(i))
    const pool = new ScoringPool(tensorSend(calls, async () => ({ ok: false, status: 404, message: 'no such model' })), b,
      { mappings: MAPPING, concurrency: 1, policy: POLICY }, () => {})
    pool.pump()
    await eventually(() => expect(pool.failure).toBeInstanceOf(BatchAbort))
    await eventually(() => expect(pool.active).toBe(0))
    expect([pool.stopped(), calls.count, b.waiting]).toEqual([true, 1, true])
  })
})
