import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

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
}

export interface ModelProcess {
  url: string
  port: number
  pid: number
  name: string
  version: string
  process: ChildProcess
  /** What the process wrote to stderr so far (last 16 KiB). */
  stderr(): string
  /** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves once it has exited. */
  stop(): Promise<void>
  kill(signal?: NodeJS.Signals): void
}

export interface ReadyLine {
  event: 'ready'
  name: string
  version: string
  port: number
  pid: number
}

function repoRoot (): string {
  const start = dirname(fileURLToPath(import.meta.url))
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`)
  }
}

export function modelMainPath (): string {
  return join(repoRoot(), 'dist', 'scorer-sdk', 'examples', 'fraud', 'main.js')
}

function exited (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

export async function startModel (options: StartModelOptions): Promise<ModelProcess> {
  const { version, name = 'fraud', delayMs = 0, port = 0, host = '127.0.0.1', readyTimeoutMs = READY_TIMEOUT_MS } = options
  const main = modelMainPath()
  if (!existsSync(main)) throw new Error(`${main} is missing: build first with \`npx tsc -p tsconfig.json\``)

  const child = spawn(process.execPath, [
    main, '--version', version, '--name', name, '--port', String(port), '--host', host, '--delay-ms', String(delayMs)
  ], { stdio: ['ignore', 'pipe', 'pipe'] })

  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP)
  })

  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const finish = (err: Error | undefined, line?: ReadyLine): void => {
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
      if ((parsed as Partial<ReadyLine>).event === 'ready') finish(undefined, parsed as ReadyLine)
    }
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      // Let stderr flush before quoting it.
      setImmediate(() => finish(new Error(`model ${name} ${version} exited (code ${code}, signal ${signal}) before it was ready; stderr:\n${stderr}`)))
    }
    const onError = (err: Error): void => finish(new Error(`cannot start model ${name} ${version}: ${err.message}`))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      finish(new Error(`model ${name} ${version} printed no ready line within ${readyTimeoutMs} ms; stderr:\n${stderr}`))
    }, readyTimeoutMs)
    lines.on('line', onLine)
    child.once('exit', onExit)
    child.once('error', onError)
  })

  let stopping: Promise<void> | undefined
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${ready.port}`,
    port: ready.port,
    pid: ready.pid,
    name,
    version,
    process: child,
    stderr: () => stderr,
    kill (signal: NodeJS.Signals = 'SIGTERM') {
      child.kill(signal)
    },
    stop () {
      stopping ??= (async () => {
        const done = exited(child)
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
        await done
        clearTimeout(timer)
      })()
      return stopping
    }
  }
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
