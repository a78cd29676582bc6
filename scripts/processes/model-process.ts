import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { repoRoot, spawnReady, stopProcess } from './ready-process.js'

// Starts the compiled fraud example as a real child process, the way the
// gateway meets model containers. Nothing global is registered: callers stop
// what they start (afterEach/afterAll).

export const READY_TIMEOUT_MS = 10_000
export const STOP_TIMEOUT_MS = 5_000
const STDERR_KEEP = 16 * 1024

export interface StartModelOptions {
  version: string
  name?: string
  delayMs?: number
  port?: number
  host?: string
  readyTimeoutMs?: number
  /** Extra flags of the fraud example (knobs.ts), e.g. ['--weights', 'v2'], ['--fail'] or ['--shuffle']. */
  extraArgs?: string[]
  /** Share of requests the model answers 500 (fault knob of the example). */
  errorRate?: number
  /** Added to the model's logit: same schema, shifted predictions. */
  shift?: number
  /** Cold start: the first coldRequests calls take coldDelayMs longer. */
  coldRequests?: number
  coldDelayMs?: number
  /** After SIGUSR2 (ModelProcess.degrade()) this share of calls answers 500. */
  degradedErrorRate?: number
  /** "NAME=VALUE:RATE": calls whose parameters.NAME is VALUE answer 500 at RATE. */
  segmentFault?: string
  /** Serve HTTPS with these PEM files; clientCa: require a client certificate it signed. */
  tls?: { cert: string, key: string, clientCa?: string }
  /** Serve gRPC too (on a free port): see grpcUrl. */
  grpc?: boolean
}

export interface ModelProcess {
  url: string
  port: number
  /** grpc://host:port when started with grpc, else null. */
  grpcUrl: string | null
  pid: number
  name: string
  version: string
  process: ChildProcess
  /** What the process wrote to stderr so far (last 16 KiB). */
  stderr(): string
  /** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves once it has exited. */
  stop(): Promise<void>
  kill(signal?: NodeJS.Signals): void
  /** Starts the fault of degradedErrorRate (SIGUSR2). */
  degrade(): void
}

export interface ReadyLine {
  event: 'ready'
  name: string
  version: string
  port: number
  grpcPort?: number
  pid: number
}

export function modelMainPath (): string {
  return join(repoRoot(), 'dist', 'scorer-sdk', 'examples', 'fraud', 'main.js')
}

export async function startModel (options: StartModelOptions): Promise<ModelProcess> {
  const { version, name = 'fraud', delayMs = 0, port = 0, host = '127.0.0.1', readyTimeoutMs = READY_TIMEOUT_MS, errorRate = 0, shift = 0 } = options
  const { child, ready, stderr } = await spawnReady<ReadyLine>(modelMainPath(), [
    '--version', version, '--name', name, '--port', String(port), '--host', host, '--delay-ms', String(delayMs),
    '--error-rate', String(errorRate), '--shift', String(shift), ...tlsArgs(options.tls), ...(options.grpc === true ? ['--grpc-port', '0'] : []), ...rehearsalArgs(options), ...(options.extraArgs ?? [])
  ], { label: `model ${name} ${version}`, readyTimeoutMs, stderrKeep: STDERR_KEEP })

  let stopping: Promise<void> | undefined
  const urlHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://${urlHost}:${ready.port}`,
    port: ready.port,
    grpcUrl: ready.grpcPort === undefined ? null : `grpc://${urlHost}:${ready.grpcPort}`,
    pid: ready.pid,
    name,
    version,
    process: child,
    stderr,
    kill (signal: NodeJS.Signals = 'SIGTERM') {
      child.kill(signal)
    },
    degrade () {
      child.kill('SIGUSR2')
    },
    stop () {
      stopping ??= (async () => {
        await stopProcess(child, STOP_TIMEOUT_MS)
      })()
      return stopping
    }
  }
}

function rehearsalArgs (o: StartModelOptions): string[] {
  const out: string[] = []
  if (o.coldRequests !== undefined) out.push('--cold-requests', String(o.coldRequests), '--cold-delay-ms', String(o.coldDelayMs ?? 0))
  if (o.degradedErrorRate !== undefined) out.push('--degraded-error-rate', String(o.degradedErrorRate))
  if (o.segmentFault !== undefined) out.push('--segment-fault', o.segmentFault)
  return out
}

function tlsArgs (tls: StartModelOptions['tls']): string[] {
  if (tls === undefined) return []
  return ['--tls-cert', tls.cert, '--tls-key', tls.key, ...(tls.clientCa === undefined ? [] : ['--tls-client-ca', tls.clientCa])]
}

export interface HungServer {
  url: string
  port: number
  /** Connections accepted so far. */
  connections(): number
  close(): Promise<void>
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers. */
export async function startHungServer (): Promise<HungServer> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('error', () => { /* peers give up on us; that is the point */ })
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () => accepted,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  }
}
