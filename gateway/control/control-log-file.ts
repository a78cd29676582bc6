/**
 * The control log as a local file: one ControlRow as JSON per line, appended.
 * The embedded default's durable record (next to the state file), and a local
 * copy for any instance that names one. Appends are queued and written in the
 * background; a failed write is retried with the next one, and rows beyond
 * the queue's bound are dropped, counted and logged.
 *
 * Reading scans the file's last READ_MAX_BYTES: enough for years of admin
 * changes; older lines stay in the file for tools.
 */
import { open, type FileHandle } from 'node:fs/promises'
import type { Logger } from '../observe/log.js'
import type { ControlRow } from '../observe/control-row.js'
import type { ControlLogReader, ControlLogSinkCloser, ControlQuery } from './control-log.js'

export const QUEUE_MAX_ROWS = 10_000
export const READ_MAX_BYTES = 64 * 1024 * 1024
const RETRY_MS = 1_000

export class ControlLogFile implements ControlLogSinkCloser, ControlLogReader {
  readonly name: string
  readonly #path: string
  readonly #logger: Logger
  #queue: string[] = []
  #writing: Promise<void> | null = null
  #fh: FileHandle | null = null
  #dropped = 0
  #retry: NodeJS.Timeout | null = null

  constructor (path: string, logger: Logger) {
    this.#path = path
    this.name = `file ${path}`
    this.#logger = logger
  }

  get dropped (): number { return this.#dropped }

  control (row: ControlRow): void {
    if (this.#queue.length >= QUEUE_MAX_ROWS) {
      if (this.#dropped++ % 1000 === 0) this.#logger.warn({ file: this.#path, dropped: this.#dropped }, 'control log file is not keeping up: rows dropped')
      return
    }
    this.#queue.push(`${JSON.stringify(row)}\n`)
    this.#kick()
  }

  /** Resolves once everything queued so far is written (or failed). */
  async flush (): Promise<void> {
    while (this.#writing !== null) await this.#writing
  }

  async read (q: ControlQuery): Promise<ControlRow[]> {
    await this.flush()
    let fh: FileHandle
    try {
      fh = await open(this.#path, 'r')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    let text: string
    try {
      const size = (await fh.stat()).size
      const start = Math.max(0, size - READ_MAX_BYTES)
      const buf = Buffer.alloc(size - start)
      await fh.read(buf, 0, buf.length, start)
      text = buf.toString('utf8')
      if (start > 0) text = text.slice(text.indexOf('\n') + 1)
    } finally {
      await fh.close()
    }
    const out: ControlRow[] = []
    const lines = text.split('\n')
    for (let i = lines.length - 1; i >= 0 && out.length < q.limit; i--) {
      const row = parse(lines[i]!)
      if (row !== null && row.kind === q.kind && (q.model === undefined || row.model === q.model) && (q.id === undefined || row.id === q.id)) out.push(row)
    }
    // Lines are in the order they were appended; the answer is newest first by time.
    return out.sort((a, b) => (b.time * 1000 + b.millis) - (a.time * 1000 + a.millis))
  }

  async close (): Promise<void> {
    if (this.#retry !== null) clearTimeout(this.#retry)
    this.#retry = null
    await this.flush()
    if (this.#queue.length > 0) await this.#write().catch(() => {})
    const fh = this.#fh
    this.#fh = null
    await fh?.close().catch(() => {})
  }

  #kick (): void {
    if (this.#writing !== null || this.#retry !== null) return
    this.#writing = this.#write().catch((err: unknown) => {
      this.#logger.warn({ err: (err as Error).message, file: this.#path, queued: this.#queue.length }, 'cannot append to the control log file; retrying')
      this.#retry = setTimeout(() => { this.#retry = null; this.#kick() }, RETRY_MS)
      this.#retry.unref()
    }).finally(() => {
      this.#writing = null
      if (this.#queue.length > 0 && this.#retry === null) this.#kick()
    })
  }

  async #write (): Promise<void> {
    const batch = this.#queue
    if (batch.length === 0) return
    this.#queue = []
    try {
      this.#fh ??= await open(this.#path, 'a')
      await this.#fh.appendFile(batch.join(''))
    } catch (err) {
      // Kept, in order, ahead of what came meanwhile.
      this.#queue = batch.concat(this.#queue)
      const fh = this.#fh
      this.#fh = null
      await fh?.close().catch(() => {})
      throw err
    }
  }
}

function parse (line: string): ControlRow | null {
  if (line === '') return null
  try {
    const v = JSON.parse(line) as ControlRow
    return typeof v === 'object' && v !== null && typeof v.entry === 'string' && typeof v.kind === 'string' ? v : null
  } catch {
    return null
  }
}
