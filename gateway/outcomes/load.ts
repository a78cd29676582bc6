/**
 * `model-gateway outcomes load FILE`: a file of outcomes (CSV with a header, or
 * NDJSON) sent to the gateway's intake in batches, with the batch scorer's
 * readers and progress display. Each row is checked here with the intake's own
 * parser, so a bad row is reported with its line number and skipped instead of
 * refusing a whole batch; a batch the intake cannot queue (503) is sent again
 * with backoff. Loading a file twice is harmless: outcomes collapse by request id.
 */
import { request } from 'undici'
import { setTimeout as sleep } from 'node:timers/promises'
import { openSource } from '../batch/source.js'
import { readLines } from '../batch/lines.js'
import { parseRecord, RowError, type Field, type InputFormat } from '../batch/rows.js'
import { Progress, type ProgressMode } from '../batch/progress.js'
import { OutcomeItemError, parseItem } from '../observe/outcome-items.js'

export interface LoadOptions {
  file: string
  format: InputFormat
  url: string
  model: string
  /** Items per request. */
  batch: number
  columns: { id: string, label: string, value: string, at: string }
  retries: number
  /** Extra request headers (e.g. a data-plane credential). */
  headers: Record<string, string>
  progress: ProgressMode
  /** Where progress and reject lines go. */
  write: (text: string) => void
}

export interface LoadResult {
  accepted: number
  rejected: number
  retries: number
}

export const DEFAULT_LOAD_BATCH = 5_000
export const MAX_REJECTS_SHOWN = 20
const BACKOFF_MS = 250
const MAX_BACKOFF_MS = 10_000

export class LoadError extends Error {}

export async function loadOutcomes (o: LoadOptions): Promise<LoadResult> {
  const src = await openSource(o.file, o.format, undefined, 'bytes')
  const progress = new Progress(o.progress, o.write, { rows: 0, bytesDone: 0 })
  const state = { rows: 0, rejects: 0, retries: 0, bytesDone: 0, bytesTotal: src.end - src.start }
  let pending: string[] = []
  let accepted = 0
  const send = async (): Promise<void> => {
    if (pending.length === 0) return
    const body = pending.join('\n')
    const n = pending.length
    pending = []
    accepted += await post(o, body, n, () => { state.retries++ })
    state.rows = accepted
    progress.show(state)
  }
  for await (const lines of readLines(o.file, src.start, src.end, src.firstLine)) {
    for (const l of lines) {
      const item = rowItem(o, l.text, src.header, l.line)
      if (typeof item === 'string') {
        if (state.rejects++ < MAX_REJECTS_SHOWN) o.write(`${o.file}:${l.line}: ${item}\n`)
      } else {
        pending.push(JSON.stringify(item))
        if (pending.length >= o.batch) await send()
      }
      state.bytesDone = l.end - src.start
    }
  }
  await send()
  progress.show(state, true)
  if (state.rejects > MAX_REJECTS_SHOWN) o.write(`… and ${state.rejects - MAX_REJECTS_SHOWN} more rejected lines\n`)
  return { accepted, rejected: state.rejects, retries: state.retries }
}

/** The row as an intake item, or why it cannot be one. */
function rowItem (o: LoadOptions, text: string, header: ReadonlyMap<string, number> | undefined, line: number): Record<string, unknown> | string {
  let field: Field
  try {
    field = parseRecord(o.format, text, header)
  } catch (err) {
    if (err instanceof RowError) return err.message
    throw err
  }
  const c = o.columns
  const item: Record<string, unknown> = { id: field(c.id) }
  const csv = o.format === 'csv'
  const label = field(c.label)
  const value = field(c.value)
  if (label !== undefined) item.label = csv ? csvLabel(label as string) : label
  if (value !== undefined) item.value = csv ? csvNumber(value as string) : value
  const at = field(c.at)
  if (at !== undefined) item.at = csv && /^\d+$/.test(String(at).trim()) ? Number(at) : at
  try {
    parseItem(item, line, { model: o.model, now: Date.now() })
  } catch (err) {
    if (err instanceof OutcomeItemError) return `${err.field === undefined ? '' : `column ${JSON.stringify(columnOf(c, err.field))}: `}${err.reason}`
    throw err
  }
  return item
}

function columnOf (c: LoadOptions['columns'], field: string): string {
  return (c as Record<string, string>)[field] ?? field
}

function csvLabel (s: string): unknown {
  const t = s.trim().toLowerCase()
  return t === 'true' ? true : t === 'false' ? false : csvNumber(s)
}

function csvNumber (s: string): unknown {
  const t = s.trim()
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : s
}

/** Posts one batch; retries 503 and connection failures; returns how many were accepted. */
async function post (o: LoadOptions, body: string, n: number, retried: () => void): Promise<number> {
  const url = `${o.url.replace(/\/+$/, '')}/v2/models/${encodeURIComponent(o.model)}/outcomes`
  for (let attempt = 0; ; attempt++) {
    let status = 0
    let text = ''
    try {
      const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...o.headers }, body })
      status = res.statusCode
      text = await res.body.text()
    } catch (err) {
      text = (err as Error).message
    }
    if (status === 200) return (JSON.parse(text) as { accepted: number }).accepted
    const retry = status === 0 || status === 503 || status === 429
    if (!retry || attempt >= o.retries) throw new LoadError(`${url} answered ${status === 0 ? 'nothing' : status}: ${errorText(text)}${retry ? ` (after ${attempt + 1} attempts)` : ''}; ${n} outcomes of this batch not accepted`)
    retried()
    await sleep(Math.min(MAX_BACKOFF_MS, BACKOFF_MS * 2 ** attempt))
  }
}

function errorText (text: string): string {
  try {
    return (JSON.parse(text) as { error?: string }).error ?? text.slice(0, 300)
  } catch {
    return text.slice(0, 300)
  }
}
