import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

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
  instanceId: string
  pid: number
}

export interface GatewayProcess {
  /** Data plane base URL, e.g. http://127.0.0.1:41234 */
  url: string
  /** Admin plane base URL, or null when the config disables it. */
  adminUrl: string | null
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

function repoRoot (): string {
  const start = dirname(fileURLToPath(import.meta.url))
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`)
  }
}

export function gatewayMainPath (): string {
  return join(repoRoot(), 'dist', 'gateway', 'main.js')
}

function exitOf (child: ChildProcess): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

/**
 * Writes `config` to a temporary file (an object as .json, a string as .yaml) and
 * starts `node dist/gateway/main.js --config FILE --port 0 --admin-port 0`.
 * Rejects with the gateway's stderr when it exits or prints no ready line in time.
 */
export async function startGatewayProcess (config: object | string, options: StartGatewayProcessOptions = {}): Promise<GatewayProcess> {
  const { env = {}, args = [], readyTimeoutMs = GATEWAY_READY_TIMEOUT_MS } = options
  const main = gatewayMainPath()
  if (!existsSync(main)) throw new Error(`${main} is missing: build first with \`npx tsc -p tsconfig.json\``)

  const dir = await mkdtemp(join(tmpdir(), 'gateway-test-'))
  const configFile = join(dir, typeof config === 'string' ? 'gateway.yaml' : 'gateway.json')
  await writeFile(configFile, typeof config === 'string' ? config : JSON.stringify(config, null, 2))

  const child = spawn(process.execPath, [main, '--config', configFile, '--port', '0', '--admin-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env }
  })

  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP)
  })

  let ready: GatewayReadyLine
  try {
    ready = await new Promise<GatewayReadyLine>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! })
      const finish = (err: Error | undefined, line?: GatewayReadyLine): void => {
        clearTimeout(timer)
        child.off('exit', onExit)
        child.off('error', onError)
        lines.off('line', onLine)
        // Keep draining stdout so the child never blocks on a full pipe.
        child.stdout!.resume()
        if (err !== undefined) reject(err)
        else resolve(line!)
      }
      const onLine = (text: string): void => {
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch {
          return
        }
        if ((parsed as Partial<GatewayReadyLine> | null)?.event === 'ready') finish(undefined, parsed as GatewayReadyLine)
      }
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        // Let stderr flush before quoting it.
        setImmediate(() => finish(new Error(`gateway exited (code ${code}, signal ${signal}) before it was ready; stderr:\n${stderr}`)))
      }
      const onError = (err: Error): void => finish(new Error(`cannot start the gateway: ${err.message}`))
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        finish(new Error(`gateway printed no ready line within ${readyTimeoutMs} ms; stderr:\n${stderr}`))
      }, readyTimeoutMs)
      lines.on('line', onLine)
      child.once('exit', onExit)
      child.once('error', onError)
    })
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }

  let stopping: Promise<{ code: number | null, signal: NodeJS.Signals | null }> | undefined
  return {
    url: `http://127.0.0.1:${ready.port}`,
    adminUrl: ready.adminPort === null ? null : `http://127.0.0.1:${ready.adminPort}`,
    port: ready.port,
    adminPort: ready.adminPort,
    pid: ready.pid,
    instanceId: ready.instanceId,
    configFile,
    process: child,
    stderr: () => stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    kill (signal: NodeJS.Signals = 'SIGTERM') {
      child.kill(signal)
    },
    stop () {
      stopping ??= (async () => {
        const done = exitOf(child)
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), GATEWAY_STOP_TIMEOUT_MS)
        const result = await done
        clearTimeout(timer)
        await rm(dir, { recursive: true, force: true })
        return result
      })()
      return stopping
    }
  }
}
