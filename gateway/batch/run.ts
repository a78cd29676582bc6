/**
 * A batch job: read this worker's rows, pack them into micro-batches
 * of the version they go to, score them with bounded concurrency, write output
 * and rejects in input order, checkpoint as it goes. The stages:
 * job.ts (set up, journal and resume) -> entry.ts (read and partition rows)
 * -> micro-batches.ts -> scoring-pool.ts (score with retries) -> in-order.ts
 * (write results and rejects) -> summary.ts.
 *
 * Memory stays bounded: at most `window` rows are between the reader and the
 * writer. When the window is full and its oldest row still sits in a partial
 * batch (a rarely chosen version fills slowly), that batch is sent as it is.
 */
import { InOrderWriter } from './in-order.js'
import { readEntry } from './entry.js'
import { openJob, type Job } from './job.js'
import { readLines } from './lines.js'
import { MicroBatcher } from './micro-batches.js'
import type { BatchOptions, BatchSummary } from './options.js'
import { Progress } from './progress.js'
import { BatchAbort } from './score.js'
import { ScoringPool } from './scoring-pool.js'
import { summarise } from './summary.js'
import { scorerTransport, type Transport } from './transport.js'

const WINDOW_BATCHES_PER_SLOT = 4
const MIN_WINDOW = 1024

/** The stages of one run, wired together. */
interface Stages {
  batches: MicroBatcher
  writer: InOrderWriter
  pool: ScoringPool
}

export async function runBatch (o: BatchOptions, transport?: Transport): Promise<BatchSummary> {
  const startedAt = Date.now()
  const job = await openJob(o)
  const { journal } = job
  if (journal.state.done) {
    await journal.close()
    return summarise(o, journal.state, journal.resumed, Date.now() - startedAt, { alreadyDone: true })
  }
  const own = transport === undefined
  const t = transport ?? scorerTransport(o.url, o.model, o.concurrency, o.timeoutMs, o.apiKey)
  const stages = wire(o, job, t)
  const show = progressOf(o, job, stages)
  const flushTimer = setInterval(() => { journal.flush().catch((err: unknown) => { stages.pool.fail(err as Error) }) }, o.checkpointIntervalMs)
  const progressTimer = setInterval(() => show(), o.progress === 'bar' ? 200 : o.progressIntervalMs)
  try {
    await score(o, job, stages)
  } finally {
    clearInterval(flushTimer)
    clearInterval(progressTimer)
    if (own) await t.close()
  }
  const complete = !stages.pool.stopped()
  await journal.flush(complete)
  await journal.close()
  show(true)
  const failure = stages.pool.failure
  if (failure !== undefined) {
    throw failure instanceof BatchAbort ? new BatchAbort(`${failure.message}; rows before line ${journal.state.line} are written, continue with --resume`) : failure
  }
  const { pool, writer } = stages
  const elapsedMs = Date.now() - startedAt
  return summarise(o, journal.state, journal.resumed, elapsedMs, {
    complete, retries: pool.retries, requests: pool.requests, versions: writer.versions, elapsedMs, rowsPerSecond: Math.round(writer.rows / (elapsedMs / 1000))
  })
}

function wire (o: BatchOptions, job: Job, t: Pick<Transport, 'send'>): Stages {
  const batches = new MicroBatcher(o.batchSize, o.version)
  const writer = new InOrderWriter(job.journal, job.formatter, job.source.start, job.journal.state.inputOffset - job.source.start)
  const policy = { retries: o.retries, backoffMs: o.backoffMs, maxBackoffMs: o.maxBackoffMs }
  const pool = new ScoringPool(t, batches, { mappings: job.rules.mappings, concurrency: o.concurrency, policy, signal: o.signal }, () => writer.drain())
  return { batches, writer, pool }
}

function progressOf (o: BatchOptions, job: Job, { writer, pool }: Stages): (final?: boolean) => void {
  const start = job.journal.state
  const progress = new Progress(o.progress, o.write, { rows: start.rows, bytesDone: writer.bytesDone })
  const startRows = start.rows
  const startRejects = start.rejects
  const bytesTotal = Math.max(0, job.source.end - job.source.start)
  return (final = false) => progress.show({
    rows: startRows + writer.rows, rejects: startRejects + writer.rejects, retries: pool.retries, bytesDone: writer.bytesDone, bytesTotal
  }, final)
}

/** Reads the partition, keeps at most `window` rows in flight, and waits for the last batch. */
async function score (o: BatchOptions, job: Job, { batches, writer, pool }: Stages): Promise<void> {
  const window = Math.max(MIN_WINDOW, WINDOW_BATCHES_PER_SLOT * o.concurrency * o.batchSize)
  const { journal } = job
  for await (const chunk of readLines(o.input, journal.state.inputOffset, job.source.end, journal.state.line)) {
    for (const l of chunk) {
      const entry = readEntry(job.rules, l)
      if (entry === null) writer.passOver(l.end, l.line + 1)
      else {
        writer.push(entry)
        if (!entry.done) batches.add(entry)
      }
    }
    writer.drain()
    pool.pump()
    while (!pool.stopped() && writer.pending >= window) {
      const oldest = writer.oldest!
      if (!oldest.sent && !oldest.done) batches.seal(oldest.group)
      pool.pump()
      if (pool.stopped() || pool.idle) break
      await pool.settled()
    }
    if (pool.stopped()) break
  }
  if (!pool.stopped()) batches.sealAll()
  pool.pump()
  while (pool.active > 0 || (!pool.stopped() && batches.waiting)) {
    await pool.settled()
    pool.pump()
  }
  writer.drain()
}
