/**
 * The embedded sink: appends every batch to one NDJSON file, a line per message
 * `{"kind":"records"|"rollups"|"health"|"shadow"|"control"|"ledger","row":{…}}` (ledger
 * segments decoded to one JSON row each; outcomes come from the intake's queue). Writes are asynchronous
 * and go through the same bounded buffer as Kafka, so a slow disk drops records
 * instead of slowing requests.
 */
import { open, type FileHandle } from 'node:fs/promises'
import type { BufferedMessage } from './buffer.js'
import type { PipelineBatch, PipelineTransport } from './transport.js'
import type { BinaryMessage } from './ledger.js'
import { decodeLedger, type LedgerRow } from './ledger-row.js'

/** A file appended to, opened on first use and again after a failed write. */
export class AppendFile {
  readonly #path: string
  #fh: FileHandle | null = null

  constructor (path: string) {
    this.#path = path
  }

  /** With `sync`, resolves only once the data is on disk (fsync). */
  async append (text: string, sync = false): Promise<void> {
    this.#fh ??= await open(this.#path, 'a')
    try {
      await this.#fh.appendFile(text)
      if (sync) await this.#fh.sync()
    } catch (err) {
      const fh = this.#fh
      this.#fh = null
      await fh.close().catch(() => {})
      throw err
    }
  }

  async close (): Promise<void> {
    const fh = this.#fh
    this.#fh = null
    await fh?.close()
  }
}

export class FileTransport implements PipelineTransport {
  readonly name = 'file'
  readonly #file: AppendFile

  constructor (path: string) {
    this.#file = new AppendFile(path)
  }

  async send (batch: PipelineBatch): Promise<void> {
    const parts: string[] = []
    add(parts, 'records', batch.records)
    add(parts, 'rollups', batch.rollups)
    add(parts, 'health', batch.health)
    add(parts, 'shadow', batch.shadow)
    add(parts, 'control', batch.control)
    addLedger(parts, batch.ledger)
    if (parts.length === 0) return
    await this.#file.append(parts.join(''))
  }

  async close (): Promise<void> {
    await this.#file.close()
  }
}

function add (parts: string[], kind: string, messages: BufferedMessage[]): void {
  for (const m of messages) parts.push(`{"kind":"${kind}","row":${m.value}}\n`)
}

function addLedger (parts: string[], segments: BinaryMessage[]): void {
  const rows: LedgerRow[] = []
  for (const s of segments) decodeLedger(s.value, rows)
  for (const r of rows) parts.push(`{"kind":"ledger","row":${JSON.stringify(r.has_prediction === 1 ? r : { ...r, prediction: null })}}\n`)
}
