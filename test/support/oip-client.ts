import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ensurePythonEnv } from '../../scripts/services/python-env.js'
import { repoRoot } from '../../scripts/processes/ready-process.js'

// Runs tritonclient[http], a widely used third-party OIP v2 client, from the
// project's pinned Python environment: a small Python process that answers each
// line of calls with one JSON line (test/support/interop/oip_client.py says what
// each call does).

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

export interface PythonClient<C> {
  /** Runs `calls` in order against the gateway at `gatewayUrl` (http://host:port, or grpc://host:port for the gRPC client). */
  calls(gatewayUrl: string, calls: readonly C[]): Promise<ClientResult<Record<string, unknown>>[]>
  call<T = Record<string, unknown>>(gatewayUrl: string, call: C): Promise<ClientResult<T>>
  close(): Promise<void>
}

export type OipClient = PythonClient<ClientCall>

/** `caFile`: for https:// gateway URLs, the CA the client checks the gateway's certificate against. */
export function startOipClient (opts: { caFile?: string } = {}): Promise<OipClient> {
  return startPythonClient<ClientCall>('oip_client.py', opts)
}

/**
 * One client process for a test file (importing the client takes seconds),
 * fed one line per batch of calls. A batch rejects when the client crashes
 * instead of reporting, or takes longer than CALL_TIMEOUT_MS (then the process
 * is killed). Start it first in beforeAll: its imports overlap the servers' start.
 */
export async function startPythonClient<C extends { op: string }> (scriptName: string, opts: { caFile?: string } = {}): Promise<PythonClient<C>> {
  const env = await ensurePythonEnv('interop-mlserver')
  const script = join(repoRoot(), 'test', 'support', 'interop', scriptName)
  const child = spawn(env.python, [script, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr = (stderr + c).slice(-16 * 1024) })
  const lines = createInterface({ input: child.stdout })
  const waiting: ((line: string | null) => void)[] = []
  lines.on('line', (line) => waiting.shift()?.(line))
  child.once('exit', () => { for (const w of waiting.splice(0)) w(null) })
  let queue: Promise<unknown> = Promise.resolve()

  const calls = (gatewayUrl: string, batch: readonly C[]): Promise<ClientResult<Record<string, unknown>>[]> => {
    const run = async (): Promise<ClientResult<Record<string, unknown>>[]> => {
      const ops = batch.map(c => c.op).join(', ')
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`tritonclient process has exited; stderr:\n${stderr}`)
      const line = await new Promise<string | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL')
          resolve(null)
        }, CALL_TIMEOUT_MS)
        waiting.push((l) => {
          clearTimeout(timer)
          resolve(l)
        })
        const u = new URL(gatewayUrl)
        // https: the client checks the gateway's certificate against the test CA.
        const tls = u.protocol === 'https:' ? { ca_certs: opts.caFile } : {}
        child.stdin.write(`${JSON.stringify({ url: u.host, calls: batch, ...tls })}\n`)
      })
      if (line === null || !line.startsWith('[')) {
        throw new Error(`tritonclient (${ops}) crashed instead of reporting a result:\n${stderr}${line ?? ''}`)
      }
      return JSON.parse(line) as ClientResult<Record<string, unknown>>[]
    }
    const result = queue.then(run, run)
    queue = result.catch(() => {})
    return result
  }

  return {
    calls,
    async call<T> (gatewayUrl: string, c: C): Promise<ClientResult<T>> {
      const [result] = await calls(gatewayUrl, [c])
      return result as ClientResult<T>
    },
    async close () {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.stdin.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }
  }
}

/** The client's result when it succeeded; throws with the client's error otherwise. */
export function expectOk<T> (r: ClientResult<T>): { ok: true } & T {
  if (!r.ok) throw new Error(`client raised ${r.exception} [${r.status}]: ${r.message}${r.message_type === 'crash' ? ` while reading the error ${r.text}` : ''}`)
  return r
}
