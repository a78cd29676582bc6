import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { RollupCounters, rollupKey, MAX_ROLLUP_SERIES, OVERFLOW_MODEL, UNKNOWN_MODEL } from '../../gateway/observe/rollup.js'
import { LATENCY_CELLS, latencyCell, statusClass, type RollupRow } from '../../gateway/observe/records.js'

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0)

/** What ClickHouse keeps: the row with the highest flush_seq per cell. */
function collapse (rows: RollupRow[]): Map<string, RollupRow> {
  const out = new Map<string, RollupRow>()
  for (const r of rows) {
    const k = rollupKey(r)
    const prev = out.get(k)
    if (prev === undefined || prev.flush_seq < r.flush_seq) out.set(k, r)
  }
  return out
}

describe('RollupCounters', () => {
  it('cumulative rows collapsed by flush_seq give exact totals, however often flushed and even when rows repeat', () => {
    const req = fc.record({
      version: fc.constantFrom('v1', 'v2'),
      status: fc.constantFrom(200, 201, 302, 400, 404, 500, 503),
      ms: fc.double({ min: 0, max: 20_000, noNaN: true }),
      offsetMs: fc.integer({ min: 0, max: 3 * 60_000 }),
      flushAfter: fc.boolean()
    })
    fc.assert(fc.property(fc.array(req, { maxLength: 300 }), fc.integer({ min: 1, max: 3 }), (reqs, copies) => {
      const r = new RollupCounters('gw', 'run')
      const rows: RollupRow[] = []
      const sorted = [...reqs].sort((a, b) => a.offsetMs - b.offsetMs)
      const expected = new Map<string, number>()
      for (const q of sorted) {
        r.record('fraud', q.version, q.status, q.ms, T0 + q.offsetMs)
        const k = `${q.version}/${statusClass(q.status)}`
        expected.set(k, (expected.get(k) ?? 0) + 1)
        if (q.flushAfter) rows.push(...r.flush())
      }
      rows.push(...r.flush())
      // Redelivery: the same rows arrive several times.
      const delivered: RollupRow[] = []
      for (let c = 0; c < copies; c++) delivered.push(...rows)
      const got = new Map<string, number>()
      let latencyCount = 0
      for (const row of collapse(delivered).values()) {
        const k = `${row.version}/${row.status_class}`
        got.set(k, (got.get(k) ?? 0) + row.requests)
        latencyCount += row.latency_buckets.reduce((a, b) => a + b, 0)
        expect(row.latency_buckets).toHaveLength(LATENCY_CELLS)
      }
      expect(Object.fromEntries([...got].sort())).toEqual(Object.fromEntries([...expected].sort()))
      expect(latencyCount).toBe(reqs.length)
    }))
  })

  it('puts each request in the minute it started', () => {
    const r = new RollupCounters('gw', 'run')
    r.record('fraud', 'v1', 200, 3, T0 + 59_999)
    r.record('fraud', 'v1', 200, 3, T0 + 60_000)
    const rows = r.flush()
    expect(rows.map(x => [x.minute, x.requests]).sort()).toEqual([[T0 / 1000, 1], [T0 / 1000 + 60, 1]])
  })

  it('emits only cells touched since the last flush, with a larger flush_seq', () => {
    const r = new RollupCounters('gw', 'run')
    r.record('fraud', 'v1', 200, 3, T0)
    const a = r.flush()
    expect(r.flush()).toEqual([])
    r.record('fraud', 'v1', 200, 3, T0)
    const b = r.flush()
    expect(b).toHaveLength(1)
    expect(b[0]!.requests).toBe(2)
    expect(b[0]!.flush_seq).toBeGreaterThan(a[0]!.flush_seq)
  })

  it('keeps counts of a minute whose slot is reused before a flush', () => {
    const r = new RollupCounters('gw', 'run')
    for (let m = 0; m < 10; m++) r.record('fraud', 'v1', 200, 1, T0 + m * 60_000)
    const rows = r.flush()
    expect(rows.reduce((a, x) => a + x.requests, 0)).toBe(10)
    expect(new Set(rows.map(x => x.minute)).size).toBe(10)
  })

  it('counts undeclared models under one name and caps the number of series', () => {
    const r = new RollupCounters('gw', 'run', ['fraud'])
    r.record('random-name-1', null, 404, 1, T0)
    r.record('random-name-2', null, 404, 1, T0)
    expect(r.flush().map(x => [x.model, x.requests])).toEqual([[UNKNOWN_MODEL, 2]])

    const open = new RollupCounters('gw', 'run')
    for (let i = 0; i < MAX_ROLLUP_SERIES + 50; i++) open.record('m', `v${i}`, 200, 1, T0)
    expect(open.seriesCount).toBe(MAX_ROLLUP_SERIES + 1)
    const overflow = open.flush().filter(x => x.model === OVERFLOW_MODEL)
    expect(overflow.reduce((a, x) => a + x.requests, 0)).toBe(50)
  })

  it('maps latencies and statuses to cells and classes', () => {
    expect(latencyCell(0)).toBe(0)
    expect(latencyCell(1)).toBe(0)
    expect(latencyCell(1.01)).toBe(1)
    expect(latencyCell(10_000)).toBe(LATENCY_CELLS - 2)
    expect(latencyCell(10_001)).toBe(LATENCY_CELLS - 1)
    expect([200, 299, 301, 404, 503, 0, 700].map(statusClass)).toEqual([2, 2, 3, 4, 5, 5, 5])
  })
})
