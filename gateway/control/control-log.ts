/**
 * The control plane's durable record: every audit entry and rollout decision
 * also goes somewhere that outlives Redis (the scoring pipeline into
 * ClickHouse's `control_log`, and/or a local file), and `audit` and `rollout
 * explain` read it back when Redis has lost theirs (an empty restart, a
 * failover that lost writes) or does not answer.
 *
 * Appending never throws and never waits: each sink buffers and retries on its
 * own, and counts what it has to drop. Until the scoring pipeline is attached
 * (it starts after the state store) rows are held for it, so the first seed is
 * recorded too.
 */
import type { Logger } from '../observe/log.js'
import type { ControlKind, ControlRow, ControlRowSink } from '../observe/control-row.js'

/** Rows held for the pipeline before it is attached (a start-up has a handful). */
const HELD_FOR_PIPELINE = 1_000
/** A durable read that takes longer is abandoned: the answer then says the durable copy was unavailable. */
export const DURABLE_READ_TIMEOUT_MS = 3_000

export interface ControlQuery {
  kind: ControlKind
  model?: string | undefined
  id?: string | undefined
  limit: number
}

/** Where the durable record is read back from. */
export interface ControlLogReader {
  readonly name: string
  /** Newest first. */
  read (q: ControlQuery): Promise<ControlRow[]>
  close (): Promise<void>
}

export interface ControlLogSinkCloser extends ControlRowSink {
  close? (): Promise<void>
}

/** What a durable read produced: rows, or why there are none. */
export type DurableRead = { source: string, rows: ControlRow[] } | { source: string, error: string }

export class ControlLog {
  readonly #sinks: ControlLogSinkCloser[]
  readonly #reader: ControlLogReader | null
  readonly #logger: Logger
  #held: ControlRow[] | null

  constructor (opts: { sinks: ControlLogSinkCloser[], reader: ControlLogReader | null, logger: Logger, awaitPipeline: boolean }) {
    this.#sinks = [...opts.sinks]
    this.#reader = opts.reader
    this.#logger = opts.logger
    this.#held = opts.awaitPipeline ? [] : null
  }

  /** A control log that keeps nothing (tests, tools). */
  static none (logger: Logger): ControlLog {
    return new ControlLog({ sinks: [], reader: null, logger, awaitPipeline: false })
  }

  get readable (): boolean { return this.#reader !== null }

  append (row: ControlRow): void {
    for (const s of this.#sinks) {
      try {
        s.control(row)
      } catch (err) {
        this.#logger.warn({ err: (err as Error).message, kind: row.kind, id: row.id }, 'control log sink refused a row')
      }
    }
    if (this.#held !== null && this.#held.length < HELD_FOR_PIPELINE) this.#held.push(row)
  }

  /** The scoring pipeline, once it runs: it gets what was held for it, then every row. */
  attachPipeline (sink: ControlRowSink): void {
    const held = this.#held ?? []
    this.#held = null
    // The pipeline is closed by its owner (after it flushed), not by the control log.
    this.#sinks.push({ control: (row) => { sink.control(row) } })
    for (const row of held) sink.control(row)
  }

  /** Reads the durable copy; never throws (a failure is reported in the answer). */
  async read (q: ControlQuery): Promise<DurableRead | null> {
    const r = this.#reader
    if (r === null) return null
    let timer: NodeJS.Timeout | undefined
    try {
      const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`no answer within ${DURABLE_READ_TIMEOUT_MS} ms`)) }, DURABLE_READ_TIMEOUT_MS) })
      return { source: r.name, rows: await Promise.race([r.read(q), late]) }
    } catch (err) {
      return { source: r.name, error: (err as Error).message }
    } finally {
      clearTimeout(timer)
    }
  }

  async close (): Promise<void> {
    this.#held = null
    for (const s of this.#sinks) await s.close?.().catch(() => {})
    await this.#reader?.close().catch(() => {})
  }
}

/**
 * Newest-first union of entries from Redis and from the durable copy: each
 * entry once (by `key`), ordered by `at` (then by key, for a stable order), at
 * most `limit`.
 */
export function mergeNewest<T> (fromRedis: readonly T[], durable: readonly T[], key: (t: T) => string, at: (t: T) => number, limit: number): T[] {
  const seen = new Map<string, T>()
  for (const t of fromRedis) seen.set(key(t), t)
  for (const t of durable) if (!seen.has(key(t))) seen.set(key(t), t)
  return [...seen.values()].sort((a, b) => at(b) - at(a) || (key(b) < key(a) ? -1 : key(b) > key(a) ? 1 : 0)).slice(0, limit)
}

/** The entries of durable rows (rows that do not parse are skipped: the record is read, never trusted to crash a read). */
export function entriesOf<T> (rows: readonly ControlRow[]): T[] {
  const out: T[] = []
  for (const r of rows) {
    try {
      out.push(JSON.parse(r.entry) as T)
    } catch {
      // a damaged line: skipped
    }
  }
  return out
}
