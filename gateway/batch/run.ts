/**
 * A batch job: read this worker's rows, pack them into micro-batches
 * of the version they go to, score them with bounded concurrency, write output
 * and rejects in input order, checkpoint as it goes.
 *
 * Memory stays bounded: at most `window` rows are between the reader and the
 * writer. When the window is full and its oldest row still sits in a partial
 * batch (a rarely chosen version fills slowly), that batch is sent as it is.
 */
import { resolve } from 'node:path'
import { fetchRouting, versionForKey } from './key-routing.js'
import { readLines, type Line } from './lines.js'
import { rejectLine, rowFormatter } from './format.js'
import { Journal } from './journal.js'
import { partitionOf } from './partition.js'
import { Progress } from './progress.js'
import { buildMappings, inputValues, keyOf, parseRecord, RowError, type Field } from './rows.js'
import { BatchAbort, BatchInterrupted, scoreBatch, type ScoreContext, type ScoredRow } from './score.js'
import { openSource } from './source.js'
import { fetchMetadata, scorerTransport, type Transport } from './transport.js'
import type { BatchOptions, BatchSummary } from './options.js'

interface Entry extends ScoredRow {
  text: string
  group: string
  sent: boolean
  done: boolean
}

const WINDOW_BATCHES_PER_SLOT = 4
const MIN_WINDOW = 1024
const COMPACT_AT = 8192

export async function runBatch (o: BatchOptions, transport?: Transport): Promise<BatchSummary> {
  const startedAt = Date.now()
  const source = await openSource(o.input, o.inputFormat, o.partition, o.partitionBy)
  const meta = await fetchMetadata(o.url, o.model, o.version, o.timeoutMs, o.apiKey)
  const mappings = buildMappings(meta.inputs!, o.map)
  const outputs = (meta.outputs ?? []).map(t => t.name)
  if (outputs.length === 0) throw new BatchAbort(`model "${o.model}" declares no outputs; batch scoring names output columns after them`)
  const routing = o.keyColumn !== undefined && o.version === undefined
    ? await fetchRouting(o.adminUrl ?? '', o.token, o.model)
    : undefined
  const versionOf = routing === undefined ? undefined : versionForKey(routing)
  const formatter = rowFormatter(o.outputFormat, o.keep, outputs)

  // Everything that decides which rows this worker writes, and how: a resume must match it.
  const job = {
    input: resolve(o.input), inputSize: source.size, inputMtimeMs: source.mtimeMs, inputFormat: o.inputFormat,
    outputFormat: o.outputFormat, model: o.model, version: o.version ?? null, keyColumn: o.keyColumn ?? null,
    map: [...o.map].sort(), keep: o.keep, outputs,
    partition: o.partition === undefined ? null : `${o.partition.index}/${o.partition.count} by ${o.partitionBy}${o.partitionBy === 'hash' ? ` of ${o.partitionKey}` : ''}`
  }
  const journal = await Journal.open({ output: o.output, rejects: o.rejects, checkpoint: o.checkpoint }, job,
    { inputOffset: source.start, line: source.firstLine }, formatter.header, o.resume)
  const resumed = journal.resumed
  const summary = (extra: Partial<BatchSummary>): BatchSummary => {
    const elapsedMs = Date.now() - startedAt
    return {
      rows: journal.state.rows, rejects: journal.state.rejects, retries: 0, requests: 0, versions: {}, elapsedMs,
      rowsPerSecond: 0, resumed, alreadyDone: false, complete: true, output: o.output, rejectsFile: o.rejects, ...extra
    }
  }
  if (journal.state.done) {
    await journal.close()
    return summary({ alreadyDone: true })
  }

  const own = transport === undefined
  const t = transport ?? scorerTransport(o.url, o.model, o.concurrency, o.timeoutMs, o.apiKey)
  let retries = 0
  let requests = 0
  const ctx: ScoreContext = {
    mappings,
    send: (inputs, version) => { requests++; return t.send(inputs, version) },
    policy: { retries: o.retries, backoffMs: o.backoffMs, maxBackoffMs: o.maxBackoffMs },
    onRetry: () => { retries++ },
    signal: o.signal
  }
  const versions: Record<string, number> = {}
  const queue: Entry[] = []
  let head = 0
  const open = new Map<string, Entry[]>()
  // Sealed batches not yet sent, taken from readyHead (shift() would move the whole array each time at batch size 1).
  let ready: Array<{ rows: Entry[], version: string | undefined }> = []
  let readyHead = 0
  let active = 0
  let failure: Error | undefined
  let wake: (() => void) | undefined
  const window = Math.max(MIN_WINDOW, WINDOW_BATCHES_PER_SLOT * o.concurrency * o.batchSize)
  const startRows = journal.state.rows
  const startRejects = journal.state.rejects
  const progressStart = journal.state.inputOffset - source.start
  const progress = new Progress(o.progress, o.write, { rows: startRows, bytesDone: progressStart })
  let bytesDone = progressStart
  const bytesTotal = Math.max(0, source.end - source.start)
  let rowsWritten = 0
  let rejectsWritten = 0
  const show = (final = false): void => progress.show({
    rows: startRows + rowsWritten, rejects: startRejects + rejectsWritten, retries, bytesDone, bytesTotal
  }, final)

  const seal = (group: string): void => {
    const rows = open.get(group)
    if (rows === undefined || rows.length === 0) return
    open.delete(group)
    for (const r of rows) r.sent = true
    ready.push({ rows, version: group === '' ? o.version : group })
  }
  const drain = (): void => {
    while (head < queue.length && queue[head]!.done) {
      const e = queue[head++]!
      if (e.reason === undefined) {
        journal.add(formatter.line(e), undefined, e.end, e.line + 1)
        versions[e.version!] = (versions[e.version!] ?? 0) + 1
        rowsWritten++
      } else {
        journal.add(undefined, rejectLine(e.line, e.reason, e.text), e.end, e.line + 1)
        rejectsWritten++
      }
      bytesDone = e.end - source.start
    }
    if (head >= COMPACT_AT) {
      queue.splice(0, head)
      head = 0
    }
  }
  const stopped = (): boolean => failure !== undefined || o.signal?.aborted === true
  // Once stopped (a failure, or SIGTERM/SIGINT through o.signal) no new batch is sent; those in flight finish.
  const pump = (): void => {
    while (!stopped() && active < o.concurrency && readyHead < ready.length) {
      const batch = ready[readyHead++]!
      if (readyHead >= COMPACT_AT) {
        ready = ready.slice(readyHead)
        readyHead = 0
      }
      active++
      scoreBatch(ctx, batch.rows, batch.version).then(() => {
        for (const r of batch.rows) r.done = true
        drain()
      }, (err: unknown) => {
        // An interrupted batch stays unwritten: the checkpoint ends before its first row.
        if (!(err instanceof BatchInterrupted)) failure ??= err as Error
      }).finally(() => {
        active--
        pump()
        wake?.()
      })
    }
  }
  const waitForProgress = (): Promise<void> => new Promise<void>(r => { wake = r })

  const handle = (l: Line): void => {
    const entry: Entry = { line: l.line, end: l.end, values: [], keep: [], text: l.text, group: '', sent: false, done: false }
    let field: Field | undefined
    try {
      field = parseRecord(o.inputFormat, l.text, source.header)
    } catch (err) {
      if (!(err instanceof RowError)) throw err
      entry.reason = err.message
    }
    if (o.partition !== undefined && o.partitionBy === 'hash') {
      const key = field === undefined ? undefined : keyOf(field, o.partitionKey!)
      if (partitionOf(key, l.line, o.partition.count) !== o.partition.index) {
        if (head === queue.length) journal.advance(l.end, l.line + 1)
        return
      }
    }
    queue.push(entry)
    if (field !== undefined) {
      try {
        for (const m of mappings) entry.values.push(inputValues(m, field))
        entry.keep = o.keep.map(c => field(c))
        if (versionOf !== undefined) {
          const key = keyOf(field, o.keyColumn!)
          // No key: the gateway chooses at random, as it does for a request without one.
          entry.group = key === undefined ? '' : versionOf(key)
        }
      } catch (err) {
        if (!(err instanceof RowError)) throw err
        entry.reason = err.message
      }
    }
    if (entry.reason !== undefined) {
      entry.done = true
      return
    }
    const rows = open.get(entry.group) ?? []
    rows.push(entry)
    open.set(entry.group, rows)
    if (rows.length >= o.batchSize) seal(entry.group)
  }

  const flushTimer = setInterval(() => { journal.flush().catch((err: unknown) => { failure ??= err as Error }) }, o.checkpointIntervalMs)
  const progressTimer = setInterval(() => show(), o.progress === 'bar' ? 200 : o.progressIntervalMs)
  try {
    for await (const chunk of readLines(o.input, journal.state.inputOffset, source.end, journal.state.line)) {
      for (const l of chunk) handle(l)
      drain()
      pump()
      while (!stopped() && queue.length - head >= window) {
        const oldest = queue[head]!
        if (!oldest.sent && !oldest.done) seal(oldest.group)
        pump()
        if (stopped() || (active === 0 && readyHead === ready.length)) break
        await waitForProgress()
      }
      if (stopped()) break
    }
    if (!stopped()) for (const g of [...open.keys()]) seal(g)
    pump()
    while (active > 0 || (!stopped() && readyHead < ready.length)) {
      await waitForProgress()
      pump()
    }
    drain()
  } finally {
    clearInterval(flushTimer)
    clearInterval(progressTimer)
    if (own) await t.close()
  }
  const complete = !stopped()
  await journal.flush(complete)
  await journal.close()
  show(true)
  if (failure !== undefined) {
    throw failure instanceof BatchAbort ? new BatchAbort(`${failure.message}; rows before line ${journal.state.line} are written, continue with --resume`) : failure
  }
  const elapsedMs = Date.now() - startedAt
  return summary({ complete, retries, requests, versions, elapsedMs, rowsPerSecond: Math.round(rowsWritten / (elapsedMs / 1000)) })
}
