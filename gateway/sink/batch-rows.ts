/**
 * A fetched Kafka batch as one insert: the table and what goes into it. JSON
 * topics become JSONEachRow rows (rows.ts checks each); ledger segments pass
 * through as RowBinary once their framing is checked; outcome items are read
 * with the intake's own parser, keyed by the message's model and stamped with
 * the time Kafka received them. A message that cannot be stored is skipped and
 * reported through `skip`: stored, it would fail the whole insert on every
 * retry and stall its partition for good.
 */
import type { KafkaMessage } from 'kafkajs'
import type { TopicKind } from '../observe/topics.js'
import { decodeLedger, LedgerFormatError, LEDGER_COLUMNS } from '../observe/ledger-row.js'
import { OutcomeItemError, parseItem } from '../observe/outcome-items.js'
import { parseRow } from './rows.js'
import { TABLE_OF } from './schema.js'

export interface BatchInsert {
  table: string
  /** Rows that go in, for the sink's counts. */
  rows: number
  json: Array<Record<string, unknown>>
  /** RowBinary segments (ledger); columns in `columns`. */
  binary: Buffer[]
  columns: readonly string[]
}

export type Skip = (offset: string, reason: string) => void

export function batchInsert (kind: TopicKind, messages: readonly KafkaMessage[], skip: Skip): BatchInsert {
  const out: BatchInsert = { table: TABLE_OF[kind], rows: 0, json: [], binary: [], columns: [] }
  if (kind === 'ledger') {
    out.columns = LEDGER_COLUMNS
    for (const m of messages) {
      if (m.value === null || m.value.length === 0) { skip(m.offset, 'empty message'); continue }
      try {
        out.rows += decodeLedger(m.value)
        out.binary.push(m.value)
      } catch (err) {
        if (!(err instanceof LedgerFormatError)) throw err
        skip(m.offset, `not a ledger segment: ${err.message}`)
      }
    }
    return out
  }
  for (const m of messages) {
    // A message holds one row or several, newline-separated (the gateway joins rows per key).
    const lines = m.value === null ? [null] : m.value.toString('utf8').split('\n')
    if (kind === 'outcomes') {
      outcomeRows(m, lines, out.json, skip)
      continue
    }
    for (const line of lines) {
      const r = parseRow(kind, line)
      if ('row' in r) out.json.push(r.row)
      else skip(m.offset, r.error)
    }
  }
  out.rows = out.json.length
  return out
}

function outcomeRows (m: KafkaMessage, lines: ReadonlyArray<string | null>, rows: Array<Record<string, unknown>>, skip: Skip): void {
  const received = Number(m.timestamp)
  const keyModel = m.key === null || m.key.length === 0 ? undefined : m.key.toString('utf8')
  lines.forEach((line, i) => {
    if (line === null || line.trim() === '') return
    let v: unknown
    try {
      v = JSON.parse(line)
    } catch (err) {
      skip(m.offset, `outcome line ${i}: not JSON: ${(err as Error).message}`)
      return
    }
    try {
      const o = parseItem(v, i, { keyModel, now: received })
      rows.push({ model: o.model, request_id: o.id, kind: o.kind, x: o.x, at: Math.floor(o.atMs / 1000), at_ms: o.atMs, received: Math.floor(received / 1000) })
    } catch (err) {
      if (!(err instanceof OutcomeItemError)) throw err
      skip(m.offset, `outcome line ${i}: ${err.message}`)
    }
  })
}
