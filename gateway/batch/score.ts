/**
 * Scoring one micro-batch: retries with backoff while the failure is the
 * service's (5xx, 408, 429, no response), halving the batch on a 4xx until the
 * row(s) the model refuses are found, alone (bad rows don't stop the
 * job, and nothing is dropped). The transport is injected, so this is pure
 * logic a unit test drives with a fake.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { RequestTensor, Tensor } from '../../scorer-sdk/types.js'
import type { InputMapping } from './rows.js'

export interface ScoredRow {
  line: number
  /** Byte offset after the line. */
  end: number
  values: number[][]
  /** Output prefix: the kept columns, already formatted. */
  keep: unknown[]
  /** Set once scored: one entry per output tensor (a number, or a list for a multi-element output). */
  predictions?: unknown[]
  version?: string
  /** Set when rejected. */
  reason?: string
}

export type SendOutcome =
  | { ok: true, outputs: Tensor[], version: string | undefined }
  | { ok: false, status: number, message: string }

export type Send = (inputs: RequestTensor[], version: string | undefined) => Promise<SendOutcome>

export interface RetryPolicy {
  retries: number
  backoffMs: number
  maxBackoffMs: number
}

/** Neither the row nor the service: the job itself is wrong (no such model or version, no access). */
const FATAL_STATUSES = new Set([401, 403, 404, 405])

/** Retries ran out, or the answer says the job cannot succeed; the checkpoint keeps what was done. */
export class BatchAbort extends Error {}

/** The job was told to stop before this batch got its answer: its rows stay unscored (a resume scores them). */
export class BatchInterrupted extends Error {}

export function retryable (status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500
}

export function packInputs (mappings: readonly InputMapping[], rows: readonly ScoredRow[]): RequestTensor[] {
  return mappings.map((m, i) => {
    const data = new Array<number>(rows.length * m.perRow)
    let k = 0
    for (const row of rows) for (const v of row.values[i]!) data[k++] = v
    return { name: m.name, shape: [rows.length, ...m.rowShape], datatype: m.datatype, data }
  })
}

export interface ScoreContext {
  mappings: readonly InputMapping[]
  send: Send
  policy: RetryPolicy
  /** Told about every retry, for the progress display and the log. */
  onRetry?: (status: number, message: string, attempt: number) => void
  /** Once aborted, no further request is sent for a batch (no retry, no halving): it ends with BatchInterrupted. */
  signal?: AbortSignal
}

/** Scores `rows` on `version` (undefined: the gateway chooses); sets predictions or reason on every row. */
export async function scoreBatch (ctx: ScoreContext, rows: ScoredRow[], version: string | undefined): Promise<void> {
  const outcome = await sendWithRetry(ctx, rows, version)
  if (outcome.ok) {
    assign(rows, outcome.outputs, outcome.version ?? version)
    return
  }
  if (rows.length === 1) {
    rows[0]!.reason = `model answered ${outcome.status}: ${outcome.message}`
    return
  }
  const half = rows.length >>> 1
  if (ctx.signal?.aborted === true) throw new BatchInterrupted('stopped')
  await scoreBatch(ctx, rows.slice(0, half), version)
  await scoreBatch(ctx, rows.slice(half), version)
}

async function sendWithRetry (ctx: ScoreContext, rows: ScoredRow[], version: string | undefined): Promise<SendOutcome> {
  const inputs = packInputs(ctx.mappings, rows)
  for (let attempt = 0; ; attempt++) {
    const outcome = await ctx.send(inputs, version)
    if (outcome.ok) return outcome
    if (FATAL_STATUSES.has(outcome.status)) throw new BatchAbort(`the ${version === undefined ? 'gateway' : `version ${version}`} answered ${outcome.status}: ${outcome.message}`)
    if (!retryable(outcome.status)) return outcome
    if (attempt >= ctx.policy.retries) {
      throw new BatchAbort(`gave up after ${attempt + 1} attempts at lines ${rows[0]!.line}-${rows[rows.length - 1]!.line}: ${outcome.status === 0 ? '' : `${outcome.status} `}${outcome.message}`)
    }
    if (ctx.signal?.aborted === true) throw new BatchInterrupted('stopped')
    ctx.onRetry?.(outcome.status, outcome.message, attempt + 1)
    try {
      await sleep(backoff(ctx.policy, attempt), undefined, ctx.signal === undefined ? undefined : { signal: ctx.signal })
    } catch {
      throw new BatchInterrupted('stopped')
    }
  }
}

/** Exponential backoff with equal jitter, as scorer-sdk's client does. */
export function backoff (policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** attempt)
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

function assign (rows: ScoredRow[], outputs: Tensor[], version: string | undefined): void {
  const per: number[] = []
  for (const t of outputs) {
    if (!Array.isArray(t.data) || t.data.length % rows.length !== 0 || (t.shape[0] !== undefined && t.shape[0] !== rows.length)) {
      const reason = `model answered output "${t.name}" with shape ${JSON.stringify(t.shape)} for ${rows.length} rows`
      for (const row of rows) row.reason = reason
      return
    }
    per.push(t.data.length / rows.length)
  }
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!
    row.predictions = outputs.map((t, i) => per[i] === 1 ? t.data[r] : t.data.slice(r * per[i]!, (r + 1) * per[i]!))
    row.version = version ?? 'unknown'
  }
}
