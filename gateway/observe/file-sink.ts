/**
 * The embedded sink: appends every batch to one NDJSON file, a line per message
 * `{"kind":"records"|"rollups"|"health"|"shadow"|"control","row":{…}}`. Writes are asynchronous
 * and go through the same bounded buffer as Kafka, so a slow disk drops records
 * instead of slowing requests.
 */
import { open, type FileHandle } from 'node:fs/promises'
import type { BufferedMessage } from './buffer.js'
import type { PipelineBatch, PipelineTransport } from './transport.js'

export class FileTransport implements PipelineTransport {
  readonly name = 'file'
  readonly #path: string
  #fh: FileHandle | null = null

  constructor (path: string) {
    this.#path = path
  }

  async send (batch: PipelineBatch): Promise<void> {
    const parts: string[] = []
    add(parts, 'records', batch.records)
    add(parts, 'rollups', batch.rollups)
    add(parts, 'health', batch.health)
    add(parts, 'shadow', batch.shadow)
    add(parts, 'control', batch.control)
    if (parts.length === 0) return
    this.#fh ??= await open(this.#path, 'a')
    try {
      await this.#fh.appendFile(parts.join(''))
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

function add (parts: string[], kind: string, messages: BufferedMessage[]): void {
  for (const m of messages) parts.push(`{"kind":"${kind}","row":${m.value}}\n`)
}
