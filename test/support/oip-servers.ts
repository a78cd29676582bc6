import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ensurePythonEnv, type PythonEnvName } from '../../scripts/services/python-env.js'
import { closedPort } from './ports.js'
import { repoRoot, stopProcess } from '../../scripts/processes/ready-process.js'

// Third-party OIP v2 model servers from PyPI as real child processes on
// loopback: MLServer (several versions of one model under one name, gzip
// request bodies) and KServe's Python server (binary tensor extension). Both
// serve test/support/interop's tiny "scale" model: y = x × factor, no weights.
// Callers stop what they start.

/** Importing numpy, pandas, fastapi and grpc takes seconds, more on a busy machine. */
export const OIP_SERVER_READY_TIMEOUT_MS = 90_000
const STOP_TIMEOUT_MS = 10_000
const STDERR_KEEP = 32 * 1024

export interface OipServer {
  url: string
  /** grpc://host:port of the server's gRPC listener, null when it has none. */
  grpcUrl: string | null
  stderr(): string
  alive(): boolean
  stop(): Promise<void>
}

export interface MlserverModel {
  /** Name MLServer serves it under. Several entries may share a name with different versions. */
  name: string
  version?: string
  factor: number
  /** Every inference sleeps this long first. */
  delaySeconds?: number
}

const interopDir = (): string => join(repoRoot(), 'test', 'support', 'interop')

async function waitReady (url: string, child: ChildProcess, label: string, stderr: () => string): Promise<void> {
  const deadline = Date.now() + OIP_SERVER_READY_TIMEOUT_MS
  let last = ''
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${label} exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready; stderr:\n${stderr()}`)
    }
    try {
      const res = await fetch(`${url}/v2/health/ready`, { signal: AbortSignal.timeout(2_000) })
      await res.arrayBuffer()
      if (res.status === 200) return
      last = `status ${res.status}`
    } catch (e) {
      last = e instanceof Error ? e.message : String(e)
    }
    await sleep(200)
  }
  child.kill('SIGKILL')
  throw new Error(`${label} was not ready at ${url} within ${OIP_SERVER_READY_TIMEOUT_MS} ms (last: ${last}); stderr:\n${stderr()}`)
}

async function startPython (envName: PythonEnvName, args: string[], port: number, grpcPort: number | null, label: string, cleanup: () => Promise<void>): Promise<OipServer> {
  const env = await ensurePythonEnv(envName)
  const child = spawn(env.python, args, {
    cwd: interopDir(),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONPATH: interopDir(), PYTHONUNBUFFERED: '1' }
  })
  let log = ''
  const keep = (c: string): void => { log = (log + c).slice(-STDERR_KEEP) }
  child.stdout!.setEncoding('utf8').on('data', keep)
  child.stderr!.setEncoding('utf8').on('data', keep)
  const url = `http://127.0.0.1:${port}`
  try {
    await waitReady(url, child, label, () => log)
  } catch (e) {
    await cleanup()
    throw e
  }
  let stopping: Promise<void> | undefined
  return {
    url,
    grpcUrl: grpcPort === null ? null : `grpc://127.0.0.1:${grpcPort}`,
    stderr: () => log,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop () {
      stopping ??= (async () => {
        await stopProcess(child, STOP_TIMEOUT_MS)
        await cleanup()
      })()
      return stopping
    }
  }
}

/**
 * MLServer with a model repository of `models`, HTTP on a free loopback port,
 * gRPC on another (MLServer 1.7 cannot turn it off), metrics server off.
 */
export async function startMlserver (models: MlserverModel[]): Promise<OipServer> {
  const repo = await mkdtemp(join(tmpdir(), 'mlserver-repo-'))
  const [httpPort, grpcPort] = [await closedPort(), await closedPort()]
  await writeFile(join(repo, 'settings.json'), JSON.stringify({
    host: '127.0.0.1',
    http_port: httpPort,
    grpc_port: grpcPort,
    metrics_endpoint: null,
    parallel_workers: 0,
    debug: false
  }))
  for (const [i, m] of models.entries()) {
    const dir = join(repo, `model-${i}`)
    await mkdir(dir)
    await writeFile(join(dir, 'model-settings.json'), JSON.stringify({
      name: m.name,
      implementation: 'scale_runtime.ScaleModel',
      // MLServer lists these in the model's metadata, so a test can tell which version answered.
      ...(m.version !== undefined ? { versions: [m.version] } : {}),
      parameters: { ...(m.version !== undefined ? { version: m.version } : {}), extra: { factor: m.factor, delay_s: m.delaySeconds ?? 0 } }
    }))
  }
  return startPython('interop-mlserver', ['-c', 'from mlserver.cli.main import main; main()', 'start', repo], httpPort, grpcPort, 'MLServer',
    () => rm(repo, { recursive: true, force: true }))
}

/** KServe's model server hosting one "scale" model under `name`: HTTP, and gRPC on another port when `grpc`. */
export async function startKserve (name: string, factor: number, opts: { grpc?: boolean } = {}): Promise<OipServer> {
  const port = await closedPort()
  const grpcPort = opts.grpc === true ? await closedPort() : null
  const grpcArgs = grpcPort === null ? ['--enable_grpc', 'false'] : ['--enable_grpc', 'true', '--grpc_port', String(grpcPort)]
  return startPython('interop-kserve', ['kserve_scale.py', '--http_port', String(port), ...grpcArgs, '--model_name', name, '--factor', String(factor)], port, grpcPort, 'KServe',
    async () => {})
}
