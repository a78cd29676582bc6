import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { ensurePythonEnv } from '../../scripts/services/python-env.js'
import { repoRoot } from './ready-process.js'

// Runs tritonclient[http], a widely used third-party OIP v2 client, from the
// project's pinned Python environment: one small Python process per call that
// prints one JSON line (test/support/interop/oip_client.py says what it does).

/** A fresh environment installs from PyPI in minutes; later calls only compare a file. */
export const PYTHON_ENV_TIMEOUT_MS = 20 * 60_000
const CALL_TIMEOUT_MS = 60_000

export interface ClientError {
  ok: false
  /** The client's exception class, InferenceServerException for every error the server answered. */
  exception: string
  /** HTTP status as the client reports it. */
  status: string | null
  /** What the client shows its user as the error message. */
  message: string
  message_type: string
  text: string
}

export interface OutputSummary {
  shape: number[]
  datatype: string
  /** Set when the tensor came as raw bytes after the JSON header (binary tensor extension). */
  binary_data_size: number | null
  count: number
  sum: number
  head: number[]
}

export interface InferOk {
  ok: true
  model_name: string
  model_version: string | null
  outputs: Record<string, OutputSummary>
  max_abs_error?: number | null
}

export interface TensorSpec {
  name: string
  datatype: 'FP32' | 'FP64' | 'INT32' | 'INT64'
  shape: readonly number[]
  /** arange: 0, 1, … 999, 0, 1, …; zeros; values: the given numbers. */
  fill?: 'arange' | 'zeros' | 'values'
  values?: number[]
  /** Send as raw bytes after the JSON header. */
  binary?: boolean
}

export interface InferSpec {
  model: string
  version?: string
  inputs: TensorSpec[]
  outputs?: { name: string, binary?: boolean }[]
  compression?: 'gzip' | 'deflate'
  /** Extra request headers, passed to the client's infer(headers=…). */
  headers?: Record<string, string>
  /** Have the client compare output = input × factor itself. */
  expect?: { input: string, output: string, factor: number }
}

export type ClientCall =
  | { op: 'server' }
  | { op: 'model_ready', model: string, version?: string }
  | { op: 'metadata', model: string, version?: string }
  | ({ op: 'infer' } & InferSpec)
  | { op: 'post_raw', path: string, body: string, headers?: Record<string, string> }

export type ClientResult<T> = ({ ok: true } & T) | ClientError

/** Creates the Python environment when missing; call from beforeAll with PYTHON_ENV_TIMEOUT_MS. */
export async function preparePythonClient (): Promise<void> {
  await ensurePythonEnv('interop-mlserver')
}

/**
 * Runs `calls` in order in one client process (importing the client costs
 * seconds); `gatewayUrl` as http://host:port. Rejects when the client crashes
 * instead of reporting, e.g. on an error body it cannot read.
 */
export async function oipClientCalls (gatewayUrl: string, calls: readonly ClientCall[]): Promise<ClientResult<Record<string, unknown>>[]> {
  const env = await ensurePythonEnv('interop-mlserver')
  const script = join(repoRoot(), 'test', 'support', 'interop', 'oip_client.py')
  const spec = JSON.stringify({ url: new URL(gatewayUrl).host, calls })
  const child = spawn(env.python, [script, spec], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c })
  child.stderr.setEncoding('utf8').on('data', (c: string) => { err = (err + c).slice(-16 * 1024) })
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), CALL_TIMEOUT_MS)
    child.once('close', (c) => {
      clearTimeout(timer)
      resolve(c)
    })
  })
  const line = out.trim().split('\n').pop() ?? ''
  if (code !== 0 || !line.startsWith('[')) {
    throw new Error(`tritonclient (${calls.map(c => c.op).join(', ')}) crashed (exit ${code}) instead of reporting a result:\n${err}${out}`)
  }
  return JSON.parse(line) as ClientResult<Record<string, unknown>>[]
}

/** One call in its own client process. */
export async function oipClient<T = Record<string, unknown>> (gatewayUrl: string, call: ClientCall): Promise<ClientResult<T>> {
  const [result] = await oipClientCalls(gatewayUrl, [call])
  return result as ClientResult<T>
}

/** The client's result when it succeeded; throws with the client's error otherwise. */
export function expectOk<T> (r: ClientResult<T>): { ok: true } & T {
  if (!r.ok) throw new Error(`client raised ${r.exception} [${r.status}]: ${r.message}`)
  return r
}
