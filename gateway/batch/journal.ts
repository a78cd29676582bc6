/**
 * Output, rejects and checkpoint, kept consistent for --resume (no
 * duplicate and no missing row after a crash). Rows are written in input order;
 * a checkpoint names the input offset after the last row written and the byte
 * length of both files at that point. Order on flush: write both files, fsync
 * both, then replace the checkpoint (write a temporary file, fsync, rename).
 * So a checkpoint never counts bytes that are not on disk, and on resume both
 * files are cut back to the checkpoint's lengths and reading restarts at its
 * offset: anything written after it is written again exactly once.
 */
import { open, readFile, rename, stat, truncate, type FileHandle } from 'node:fs/promises'

export const CHECKPOINT_FORMAT = 1

export interface Checkpoint {
  format: number
  /** What the job is; a resume with another identity is refused. */
  job: Record<string, unknown>
  /** Next input byte to read, at a line start. */
  inputOffset: number
  /** Line number of the line at inputOffset. */
  line: number
  outputBytes: number
  rejectsBytes: number
  rows: number
  rejects: number
  done: boolean
}

export interface JournalPaths {
  output: string
  rejects: string
  checkpoint: string
}

export class ResumeError extends Error {}

export class Journal {
  readonly #paths: JournalPaths
  readonly #out: FileHandle
  readonly #rej: FileHandle
  #state: Checkpoint
  #outBuf: string[] = []
  #rejBuf: string[] = []
  #pending: Omit<Checkpoint, 'format' | 'job' | 'outputBytes' | 'rejectsBytes' | 'done'>
  #flushing: Promise<void> = Promise.resolve()
  /** Opened from an existing checkpoint. */
  readonly resumed: boolean

  private constructor (paths: JournalPaths, out: FileHandle, rej: FileHandle, state: Checkpoint, resumed: boolean) {
    this.resumed = resumed
    this.#paths = paths
    this.#out = out
    this.#rej = rej
    this.#state = state
    this.#pending = { inputOffset: state.inputOffset, line: state.line, rows: state.rows, rejects: state.rejects }
  }

  /**
   * Opens for a new job (files emptied, `header` written) or, with `resume` and a
   * checkpoint of the same job, continues it (files cut to the checkpoint).
   */
  static async open (paths: JournalPaths, job: Record<string, unknown>, start: { inputOffset: number, line: number }, header: string, resume: boolean): Promise<Journal> {
    const previous = resume ? await readCheckpoint(paths.checkpoint) : undefined
    if (previous !== undefined) {
      if (JSON.stringify(previous.job) !== JSON.stringify(job)) {
        throw new ResumeError(`${paths.checkpoint} belongs to another job (${describeDiff(previous.job, job)}); remove it, or start without --resume`)
      }
      for (const [file, bytes] of [[paths.output, previous.outputBytes], [paths.rejects, previous.rejectsBytes]] as const) {
        const size = await stat(file).then(s => s.size, () => -1)
        if (size < bytes) throw new ResumeError(`${file} has ${size < 0 ? 'gone' : `${size} bytes`}, the checkpoint counts ${bytes}: it was changed since; cannot resume`)
        await truncate(file, bytes)
      }
      const [out, rej] = await Promise.all([open(paths.output, 'a'), open(paths.rejects, 'a')])
      return new Journal(paths, out, rej, previous, true)
    }
    const [out, rej] = await Promise.all([open(paths.output, 'w'), open(paths.rejects, 'w')])
    const headerBytes = Buffer.byteLength(header)
    if (headerBytes > 0) await out.write(header)
    const journal = new Journal(paths, out, rej, {
      format: CHECKPOINT_FORMAT, job, inputOffset: start.inputOffset, line: start.line, outputBytes: headerBytes, rejectsBytes: 0, rows: 0, rejects: 0, done: false
    }, false)
    await journal.#writeCheckpoint(journal.#state)
    return journal
  }

  get state (): Readonly<Checkpoint> {
    return this.#state
  }

  /** One row done, in input order: its output or rejects line, and the input position after it. */
  add (output: string | undefined, reject: string | undefined, inputOffset: number, nextLine: number): void {
    if (output !== undefined) {
      this.#outBuf.push(output)
      this.#pending.rows++
    }
    if (reject !== undefined) {
      this.#rejBuf.push(reject)
      this.#pending.rejects++
    }
    this.#pending.inputOffset = inputOffset
    this.#pending.line = nextLine
  }

  /** Skips input (rows of other partitions) up to an offset; nothing is written for it. */
  advance (inputOffset: number, nextLine: number): void {
    this.#pending.inputOffset = inputOffset
    this.#pending.line = nextLine
  }

  /** Writes what was added, then the checkpoint; flushes run one after another. */
  flush (done = false): Promise<void> {
    const out = this.#outBuf.join('')
    const rej = this.#rejBuf.join('')
    this.#outBuf = []
    this.#rejBuf = []
    const pending = { ...this.#pending }
    this.#flushing = this.#flushing.then(async () => {
      if (out !== '') await this.#out.write(out)
      if (rej !== '') await this.#rej.write(rej)
      await Promise.all([this.#out.datasync(), this.#rej.datasync()])
      const next: Checkpoint = {
        ...this.#state,
        ...pending,
        outputBytes: this.#state.outputBytes + Buffer.byteLength(out),
        rejectsBytes: this.#state.rejectsBytes + Buffer.byteLength(rej),
        done
      }
      await this.#writeCheckpoint(next)
      this.#state = next
    })
    return this.#flushing
  }

  async close (): Promise<void> {
    await this.#flushing.catch(() => undefined)
    await Promise.all([this.#out.close(), this.#rej.close()])
  }

  async #writeCheckpoint (c: Checkpoint): Promise<void> {
    const tmp = `${this.#paths.checkpoint}.tmp`
    const fh = await open(tmp, 'w')
    try {
      await fh.write(`${JSON.stringify(c)}\n`)
      await fh.datasync()
    } finally {
      await fh.close()
    }
    await rename(tmp, this.#paths.checkpoint)
  }
}

export async function readCheckpoint (file: string): Promise<Checkpoint | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  let c: Checkpoint
  try {
    c = JSON.parse(text) as Checkpoint
  } catch {
    throw new ResumeError(`${file} is not a checkpoint (not JSON)`)
  }
  if (c.format !== CHECKPOINT_FORMAT || typeof c.inputOffset !== 'number' || typeof c.outputBytes !== 'number') {
    throw new ResumeError(`${file} is not a checkpoint of this version (format ${JSON.stringify(c.format)})`)
  }
  return c
}

function describeDiff (a: Record<string, unknown>, b: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(k => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
  return keys.map(k => `${k}: ${JSON.stringify(a[k])} then, ${JSON.stringify(b[k])} now`).join('; ')
}
