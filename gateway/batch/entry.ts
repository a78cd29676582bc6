/**
 * One input line on its way through a batch job: parsed, checked against this
 * worker's hash partition, turned into model inputs and given the group
 * (version) its micro-batch goes to. A row that cannot be parsed or mapped is
 * a reject at once: it takes its place in the output order but is never sent.
 */
import type { Line } from './lines.js'
import { partitionOf, type Partition, type PartitionBy } from './partition.js'
import { inputValues, keyOf, parseRecord, RowError, type Field, type InputFormat, type InputMapping } from './rows.js'
import type { ScoredRow } from './score.js'

export interface Entry extends ScoredRow {
  text: string
  /** The version key its micro-batch is sealed under ('' when the gateway chooses). */
  group: string
  /** In a sealed micro-batch. */
  sent: boolean
  /** Scored or rejected: ready to be written once every row before it is. */
  done: boolean
}

/** What turning a line into an entry needs; fixed for the whole job. */
export interface EntryRules {
  inputFormat: InputFormat
  /** CSV: column index from the header line. */
  header: ReadonlyMap<string, number> | undefined
  mappings: readonly InputMapping[]
  keep: readonly string[]
  partition?: Partition
  partitionBy: PartitionBy
  partitionKey?: string
  keyColumn?: string
  /** The live split's version for a sticky key; undefined when rows are not routed by key. */
  versionOf?: (key: string) => string
}

/** The entry for `l`, or null when the line belongs to another hash partition. */
export function readEntry (rules: EntryRules, l: Line): Entry | null {
  const entry: Entry = { line: l.line, end: l.end, values: [], keep: [], text: l.text, group: '', sent: false, done: false }
  let field: Field | undefined
  try {
    field = parseRecord(rules.inputFormat, l.text, rules.header)
  } catch (err) {
    if (!(err instanceof RowError)) throw err
    entry.reason = err.message
  }
  if (rules.partition !== undefined && rules.partitionBy === 'hash') {
    const key = field === undefined ? undefined : keyOf(field, rules.partitionKey!)
    if (partitionOf(key, l.line, rules.partition.count) !== rules.partition.index) return null
  }
  if (field !== undefined) {
    try {
      fill(rules, entry, field)
    } catch (err) {
      if (!(err instanceof RowError)) throw err
      entry.reason = err.message
    }
  }
  if (entry.reason !== undefined) entry.done = true
  return entry
}

function fill (rules: EntryRules, entry: Entry, field: Field): void {
  for (const m of rules.mappings) entry.values.push(inputValues(m, field))
  entry.keep = rules.keep.map(c => field(c))
  if (rules.versionOf !== undefined) {
    const key = keyOf(field, rules.keyColumn!)
    // No key: the gateway chooses at random, as it does for a request without one.
    entry.group = key === undefined ? '' : rules.versionOf(key)
  }
}
