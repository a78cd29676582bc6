/**
 * Sends a golden set to one replica, directly (its base URL and the model's
 * upstream paths), and keeps what came back: the metadata, each answer's status,
 * latency and outputs. Calls go one at a time, so the latencies are the
 * replica's own and a verification never loads a replica more than one client.
 */
import { randomUUID } from 'node:crypto'
import type { Replica } from '../proxy/replica.js'
import { UpstreamCall, UpstreamFailure } from '../proxy/upstream.js'
import { parseOutputs, type OutputTensor, type TensorSpec } from '../proxy/output-diff.js'
import type { GoldenCase } from './golden.js'

export interface Answer {
  /** HTTP status; 0 when the call failed before an answer (refused, reset, timed out). */
  status: number
  ms: number
  /** Outputs of a 2xx answer (first round only), null otherwise. */
  outputs: Map<string, OutputTensor> | null
  error: string | null
}

export interface ReplicaProbe {
  url: string
  metadata: { inputs: TensorSpec[], outputs: TensorSpec[] } | null
  metadataError: string | null
  /** answers[round][case] */
  answers: Answer[][]
}

export interface ProbeTarget {
  replica: Replica
  inferPath: string
  metadataPath: string
  timeoutMs: number
  maxResponseBytes: number
}

const JSON_HEADERS = ['content-type', 'application/json', 'accept', 'application/json']

export async function probeReplica (t: ProbeTarget, cases: readonly GoldenCase[], rounds: number): Promise<ReplicaProbe> {
  const { replica } = t
  const probe: ReplicaProbe = { url: replica.url, metadata: null, metadataError: null, answers: [] }
  const meta = await call(t, replica.prefix + t.metadataPath, null, false)
  if (meta.status >= 200 && meta.status < 300 && meta.body !== null) {
    probe.metadata = parseMetadata(meta.body)
    if (probe.metadata === null) probe.metadataError = 'the metadata answer has no inputs/outputs tensor lists'
  } else {
    probe.metadataError = meta.error ?? `metadata answered HTTP ${meta.status}`
  }
  for (let r = 0; r < rounds; r++) {
    const round: Answer[] = []
    for (const c of cases) {
      const a = await call(t, replica.prefix + t.inferPath, c.body, r === 0)
      round.push({ status: a.status, ms: a.ms, outputs: a.outputs, error: a.error })
    }
    probe.answers.push(round)
  }
  return probe
}

/** One call to one replica, timed; keepOutputs parses a 2xx answer's outputs. Never throws. */
export async function call (t: ProbeTarget, path: string, body: Buffer | null, keepOutputs: boolean): Promise<Answer & { body: Buffer | null }> {
  const headers = [...JSON_HEADERS, 'x-request-id', `verify-${randomUUID()}`]
  const start = performance.now()
  try {
    const res = await new UpstreamCall(t.replica.pool, { path, method: body === null ? 'GET' : 'POST', headers, body, deadline: start + t.timeoutMs, maxResponseBytes: t.maxResponseBytes }).done
    const ms = performance.now() - start
    const ok = res.statusCode >= 200 && res.statusCode < 300
    return {
      status: res.statusCode,
      ms,
      outputs: ok && keepOutputs && body !== null ? parseOutputs(res.body) : null,
      error: ok ? null : `HTTP ${res.statusCode}: ${res.body.subarray(0, 200).toString('utf8')}`,
      body: res.body
    }
  } catch (err) {
    const cause = err instanceof UpstreamFailure ? err.cause : err as Error
    const code = (cause as { code?: string }).code
    return { status: 0, ms: performance.now() - start, outputs: null, error: code ?? cause.message, body: null }
  }
}

function parseMetadata (body: Buffer): { inputs: TensorSpec[], outputs: TensorSpec[] } | null {
  let v: { inputs?: unknown, outputs?: unknown }
  try {
    v = JSON.parse(body.toString('utf8')) as typeof v
  } catch {
    return null
  }
  const list = (x: unknown): TensorSpec[] | null => Array.isArray(x)
    ? x.map((t: { name?: unknown, datatype?: unknown, shape?: unknown }) => ({ name: String(t.name), datatype: String(t.datatype), shape: Array.isArray(t.shape) ? t.shape.map(Number) : [] }))
    : null
  const inputs = list(v.inputs)
  const outputs = list(v.outputs)
  return inputs === null || outputs === null ? null : { inputs, outputs }
}
