/**
 * Checks a Kafka message before it goes into an insert. A message that does not
 * parse or lacks a column would fail the whole batch on every retry and stall
 * its partition for good, so such a message is skipped and counted instead.
 */
import type { JsonTopicKind } from '../observe/topics.js'
import { HEALTH_COLUMNS, jsonTypeOf, RECORD_COLUMNS, ROLLUP_COLUMNS, type Column, type JsonType } from '../observe/columns.js'

type FieldType = JsonType

/** Columns every message of the kind carries (those of the table's creating migration). */
function required (columns: readonly Column[]): Record<string, FieldType> {
  const first = columns[0]!.since
  return Object.fromEntries(columns.filter(c => c.since === first).map(c => [c.name, jsonTypeOf(c.type)]))
}

/**
 * Columns added by later migrations, with the value a message from an older
 * gateway (which lacks them) gets. JSONEachRow on 18.16 would fill an omitted
 * column with the type's zero value, not its DEFAULT, so the sink sets them.
 */
function added (columns: readonly Column[]): Record<string, string | number> {
  return Object.fromEntries(columns.filter(c => c.fill !== undefined).map(c => [c.name, c.fill!]))
}

const FIELDS: Record<JsonTopicKind, Record<string, FieldType>> = {
  records: required(RECORD_COLUMNS),
  rollups: required(ROLLUP_COLUMNS),
  health: required(HEALTH_COLUMNS),
  shadow: {
    time: 'number', millis: 'number', request_id: 'string', model: 'string', instance_id: 'string',
    primary_version: 'string', primary_status: 'number', primary_ms: 'number', primary_output: 'string',
    shadow_version: 'string', shadow_status: 'number', shadow_ms: 'number', shadow_error: 'string', shadow_output: 'string',
    comparable: 'number', exact: 'number', max_abs_diff: 'number'
  },
  control: {
    time: 'number', millis: 'number', kind: 'string', id: 'string', model: 'string', instance_id: 'string',
    action: 'string', rollout_id: 'string', revision: 'number', entry: 'string'
  }
}

const ADDED: Record<JsonTopicKind, Record<string, string | number>> = {
  records: added(RECORD_COLUMNS),
  rollups: added(ROLLUP_COLUMNS),
  health: {},
  shadow: {},
  control: {}
}

/** The row, or a reason why the message cannot be stored. */
export function parseRow (kind: JsonTopicKind, value: string | null): { row: Record<string, unknown> } | { error: string } {
  if (value === null || value === '') return { error: 'empty message' }
  let v: unknown
  try {
    v = JSON.parse(value)
  } catch (err) {
    return { error: `not JSON: ${(err as Error).message}` }
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { error: 'not a JSON object' }
  const row = v as Record<string, unknown>
  for (const [name, type] of Object.entries(FIELDS[kind])) {
    const x = row[name]
    const ok = type === 'array' ? Array.isArray(x) && x.every(n => typeof n === 'number' && Number.isFinite(n) && n >= 0) : typeof x === type && (type !== 'number' || Number.isFinite(x))
    if (!ok) return { error: `column ${name}: expected ${type}` }
  }
  for (const [name, fallback] of Object.entries(ADDED[kind])) {
    const x = row[name]
    if (x === undefined) row[name] = fallback
    else if (typeof x !== typeof fallback || (typeof x === 'number' && !(Number.isFinite(x) && x >= 0))) return { error: `column ${name}: expected ${typeof fallback}` }
  }
  return { row }
}
