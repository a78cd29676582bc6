/**
 * Writing results and rejects in input order: rows are queued as they are
 * read and written (to the journal) only once every row before them is done,
 * so the output lines up with the input and a checkpoint can name one input
 * offset. Counts what it wrote, for the progress display and the summary.
 */
import type { Entry } from './entry.js'
import { rejectLine, type RowFormatter } from './format.js'
import { COMPACT_AT } from './micro-batches.js'

/** Where finished rows go: the journal (a fake in unit tests). */
export interface RowSink {
  add (output: string | undefined, reject: string | undefined, inputOffset: number, nextLine: number): void
  advance (inputOffset: number, nextLine: number): void
}

export class InOrderWriter {
  readonly #sink: RowSink
  readonly #formatter: Pick<RowFormatter, 'line'>
  readonly #sourceStart: number
  #queue: Entry[] = []
  #head = 0
  /** Rows and rejects written in this run. */
  rows = 0
  rejects = 0
  /** Rows written per version in this run. */
  readonly versions: Record<string, number> = {}
  /** Input bytes of this partition done. */
  bytesDone: number

  /** `sourceStart`: the partition's first byte; `bytesDone`: bytes done before this run (a resume). */
  constructor (sink: RowSink, formatter: Pick<RowFormatter, 'line'>, sourceStart: number, bytesDone: number) {
    this.#sink = sink
    this.#formatter = formatter
    this.#sourceStart = sourceStart
    this.bytesDone = bytesDone
  }

  /** Rows read and not yet written. */
  get pending (): number {
    return this.#queue.length - this.#head
  }

  /** The oldest row not yet written. */
  get oldest (): Entry | undefined {
    return this.#queue[this.#head]
  }

  push (entry: Entry): void {
    this.#queue.push(entry)
  }

  /** A line of another partition: the checkpoint may pass it when no row before it waits. */
  passOver (end: number, nextLine: number): void {
    if (this.pending === 0) this.#sink.advance(end, nextLine)
  }

  /** Writes every done row at the head of the queue. */
  drain (): void {
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.done) {
      const e = this.#queue[this.#head++]!
      if (e.reason === undefined) {
        this.#sink.add(this.#formatter.line(e), undefined, e.end, e.line + 1)
        this.versions[e.version!] = (this.versions[e.version!] ?? 0) + 1
        this.rows++
      } else {
        this.#sink.add(undefined, rejectLine(e.line, e.reason, e.text), e.end, e.line + 1)
        this.rejects++
      }
      this.bytesDone = e.end - this.#sourceStart
    }
    if (this.#head >= COMPACT_AT) {
      this.#queue.splice(0, this.#head)
      this.#head = 0
    }
  }
}
