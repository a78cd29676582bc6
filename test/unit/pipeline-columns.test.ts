import { describe, expect, expectTypeOf, it } from 'vitest'
import { buildRecord, healthRow, type HealthRow, type RollupRow, type ScoringRecord } from '../../gateway/observe/records.js'
import { HEALTH_COLUMNS, jsonTypeOf, RECORD_COLUMNS, ROLLUP_COLUMNS } from '../../gateway/observe/columns.js'
import { RollupCounters } from '../../gateway/observe/rollup.js'
import { parseRow } from '../../gateway/sink/rows.js'
import { MIGRATIONS } from '../../gateway/sink/schema.js'
import { featuresOf } from '../../gateway/sink/clickhouse.js'
import type { RequestOutcome } from '../../gateway/observe/outcome.js'

// The producer's rows, the sink's checks and the DDL come from one table of columns (observe/columns.ts).

const outcome: RequestOutcome = {
  requestId: 'r-1', model: 'fraud', version: 'v1', replica: 'http://m', release: 'v1>#1', status: 200, errorCode: null,
  startedAt: 1_900_000_000_123, totalMs: 3, upstreamMs: 2, fallback: false, stickyKey: 'u1',
  requestBody: Buffer.from('{"inputs":[]}'), responseBody: Buffer.from('{"outputs":[]}'),
  traffic: 'live', kind: 'infer', requestHeaderLength: -1, requestEncoding: null, responseHeaderLength: -1
}

function jsonType (x: unknown): string {
  return Array.isArray(x) ? 'array' : typeof x
}

describe('scoring-log columns', () => {
  it('a built record has exactly the record columns, each of its JSON type', () => {
    const r = buildRecord(outcome, 'gw', 1, true, 4096) as unknown as Record<string, unknown>
    expect(Object.keys(r).sort()).toEqual(RECORD_COLUMNS.map(c => c.name).sort())
    for (const c of RECORD_COLUMNS) expect([c.name, jsonType(r[c.name])]).toEqual([c.name, jsonTypeOf(c.type)])
  })

  it('a health row has exactly the health columns, each of its JSON type', () => {
    const r = healthRow({ at: 1_900_000_000_123, instanceId: 'gw', model: 'm', version: 'v', replica: 'http://r', kind: 'http', ok: true, latencyMs: 1.5, status: 200, error: null }) as unknown as Record<string, unknown>
    expect(Object.keys(r).sort()).toEqual(HEALTH_COLUMNS.map(c => c.name).sort())
    for (const c of HEALTH_COLUMNS) expect([c.name, jsonType(r[c.name])]).toEqual([c.name, jsonTypeOf(c.type)])
  })

  it('a flushed rollup row has exactly the rollup columns, each of its JSON type', () => {
    const counters = new RollupCounters('gw', 'run-1')
    counters.record('fraud', 'v1', 200, 3, Date.now())
    const rows = counters.flush()
    expect(rows.length).toBe(1)
    const r = rows[0]! as unknown as Record<string, unknown>
    expect(Object.keys(r).sort()).toEqual(ROLLUP_COLUMNS.map(c => c.name).sort())
    for (const c of ROLLUP_COLUMNS) expect([c.name, jsonType(r[c.name])]).toEqual([c.name, jsonTypeOf(c.type)])
  })

  it('the sink stores a built record as it is, and fills the added columns of a message without them', () => {
    const r = buildRecord(outcome, 'gw', 1, true, 4096)
    expect(parseRow('records', JSON.stringify(r))).toEqual({ row: r })
    const old = Object.fromEntries(RECORD_COLUMNS.filter(c => c.since === 1).map(c => [c.name, r[c.name]]))
    expect(parseRow('records', JSON.stringify(old))).toEqual({ row: { ...old, traffic: 'live', request_encoding: '', request_binary_bytes: 0, response_binary_bytes: 0, request_truncated: 0, response_truncated: 0, application: '' } })
  })

  it('every column appears in the DDL of the migration that created it', () => {
    const sql = new Map(MIGRATIONS.map(m => [m.id, m.sql('db', featuresOf('24.8.1.1'), 30)]))
    for (const c of [...RECORD_COLUMNS, ...ROLLUP_COLUMNS, ...HEALTH_COLUMNS]) {
      expect([c.name, sql.get(c.since)]).toEqual([c.name, expect.stringMatching(new RegExp(`^\\s+(ADD COLUMN )?${c.name} `, 'm'))])
    }
  })

  it('row types are the column tables', () => {
    expectTypeOf<keyof ScoringRecord>().toEqualTypeOf<typeof RECORD_COLUMNS[number]['name']>()
    expectTypeOf<keyof RollupRow>().toEqualTypeOf<typeof ROLLUP_COLUMNS[number]['name']>()
    expectTypeOf<keyof HealthRow>().toEqualTypeOf<typeof HEALTH_COLUMNS[number]['name']>()
    expectTypeOf<ScoringRecord['traffic']>().toEqualTypeOf<string>()
    expectTypeOf<RollupRow['latency_buckets']>().toEqualTypeOf<number[]>()
  })
})
