import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot, spawnReady, stopProcess, type ReadyProcess } from '../../scripts/processes/ready-process.js'

// Starts the compiled gateway as a real child process on port 0, the way it runs
// in production: config in a file, ready line on stdout, logs on stderr. Nothing
// global is registered: callers stop what they start (afterEach/afterAll).

export const GATEWAY_READY_TIMEOUT_MS = 15_000
export const GATEWAY_STOP_TIMEOUT_MS = 15_000
const STDERR_KEEP = 64 * 1024

export interface StartGatewayProcessOptions {
  /** Extra environment for the child (merged over the parent's). */
  env?: Record<string, string | undefined>
  /** Extra command-line arguments after the standard ones. */
  args?: string[]
  readyTimeoutMs?: number
}

export interface GatewayReadyLine {
  event: 'ready'
  port: number
  adminPort: number | null
  grpcPort: number | null
  instanceId: string
  pid: number
}

export interface GatewayProcess {
  /** Data plane base URL, e.g. http://127.0.0.1:41234 */
  url: string
  /** Admin plane base URL, or null when the config disables it. */
  adminUrl: string | null
  /** gRPC listener as host:port, or null unless the config enables grpc. */
  grpcTarget: string | null
  port: number
  adminPort: number | null
  pid: number
  instanceId: string
  /** The config file the gateway was started with (removed by stop()). */
  configFile: string
  process: ChildProcess
  /** What the process wrote to stderr so far (its log; last 64 KiB). */
  stderr(): string
  /** Whether the process is still running. */
  alive(): boolean
  /** SIGTERM, then SIGKILL after GATEWAY_STOP_TIMEOUT_MS; resolves with how it exited. Idempotent. */
  stop(): Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  kill(signal?: NodeJS.Signals): void
}

export function gatewayMainPath (): string {
  return join(repoRoot(), 'dist', 'gateway', 'main.js')
}

/**
 * Writes `config` to a temporary file (an object as .json, a string as .yaml) and
 * starts `node dist/gateway/main.js --config FILE --port 0 --admin-port 0 --grpc-port 0`.
 * Rejects with the gateway's stderr when it exits or prints no ready line in time.
 */
export async function startGatewayProcess (config: object | string, options: StartGatewayProcessOptions = {}): Promise<GatewayProcess> {
  const { env = {}, args = [], readyTimeoutMs = GATEWAY_READY_TIMEOUT_MS } = options
  const main = gatewayMainPath()

  const dir = await mkdtemp(join(tmpdir(), 'gateway-test-'))
  const configFile = join(dir, typeof config === 'string' ? 'gateway.yaml' : 'gateway.json')
  await writeFile(configFile, typeof config === 'string' ? config : JSON.stringify(config, null, 2))

  let started: ReadyProcess<GatewayReadyLine>
  try {
    started = await spawnReady<GatewayReadyLine>(main, ['--config', configFile, '--port', '0', '--admin-port', '0', '--grpc-port', '0', ...args], {
      label: 'gateway',
      env: { ...process.env, ...env },
      readyTimeoutMs,
      stderrKeep: STDERR_KEEP
    })
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  const { child, ready, stderr } = started

  let stopping: Promise<{ code: number | null, signal: NodeJS.Signals | null }> | undefined
  return {
    url: `http://127.0.0.1:${ready.port}`,
    adminUrl: ready.adminPort === null ? null : `http://127.0.0.1:${ready.adminPort}`,
    grpcTarget: ready.grpcPort === null ? null : `127.0.0.1:${ready.grpcPort}`,
    port: ready.port,
    adminPort: ready.adminPort,
    pid: ready.pid,
    instanceId: ready.instanceId,
    configFile,
    process: child,
    stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    kill (signal: NodeJS.Signals = 'SIGTERM') {
      child.kill(signal)
    },
    stop () {
      stopping ??= (async () => {
        const result = await stopProcess(child, GATEWAY_STOP_TIMEOUT_MS)
        await rm(dir, { recursive: true, force: true })
        return result
      })()
      return stopping
    }
  }
}
