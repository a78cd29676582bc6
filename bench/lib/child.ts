/**
 * Child processes of a benchmark run: spawned (optionally pinned to CPU cores),
 * awaited until ready, and always stopped — on success, on error and on SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** How long a server may take to print its ready line or accept connections. */
export const READY_TIMEOUT_MS = 15_000
/** Grace period between SIGTERM and SIGKILL when stopping. */
export const STOP_GRACE_MS = 5_000
/** Bytes of stderr kept per child for error messages. */
const STDERR_TAIL_BYTES = 4096

export interface Child {
  readonly name: string
  readonly proc: ChildProcess
  readonly pid: number
  /** Last few KB of stderr, for diagnosis. */
  stderrTail (): string
  /** Resolves with the exit code (or signal) once the process is gone. */
  readonly exited: Promise<number | string>
}

const running = new Set<Child>()

/** `cores` pins the process with taskset; undefined leaves scheduling to the kernel. */
export function start (name: string, command: string, args: readonly string[], cores?: string, env?: NodeJS.ProcessEnv): Child {
  const [cmd, argv] = cores === undefined ? [command, [...args]] : ['taskset', ['-c', cores, command, ...args]]
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env })
  if (proc.pid === undefined) throw new Error(`${name}: could not spawn ${cmd}`)
  let tail = ''
  proc.stderr!.setEncoding('utf8')
  proc.stderr!.on('data', (s: string) => { tail = (tail + s).slice(-STDERR_TAIL_BYTES) })
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => { resolve(code ?? signal ?? 'unknown') })
  })
  const child: Child = { name, proc, pid: proc.pid, stderrTail: () => tail, exited }
  running.add(child)
  void exited.then(() => running.delete(child))
  return child
}

/** Waits for the first stdout line that parses as JSON with `"event":"ready"`. */
export async function readyLine (child: Child, timeoutMs = READY_TIMEOUT_MS): Promise<Record<string, unknown>> {
  const stdout = child.proc.stdout!
  stdout.setEncoding('utf8')
  let buffered = ''
  const ac = new AbortController()
  const timer = setTimeout(() => { ac.abort() }, timeoutMs)
  try {
    const found = new Promise<Record<string, unknown>>((resolve, reject) => {
      const onData = (s: string): void => {
        buffered += s
        let nl
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl)
          buffered = buffered.slice(nl + 1)
          try {
            const msg = JSON.parse(line) as Record<string, unknown>
            if (msg.event === 'ready') {
              stdout.off('data', onData)
              // Keep draining stdout so a chatty child never blocks on a full pipe.
              stdout.resume()
              resolve(msg)
              return
            }
          } catch {
            // not a JSON line; keep reading
          }
        }
      }
      stdout.on('data', onData)
      void child.exited.then((code) => { reject(new Error(`${child.name} exited (${code}) before it was ready: ${child.stderrTail()}`)) })
      ac.signal.addEventListener('abort', () => { reject(new Error(`${child.name} printed no ready line within ${timeoutMs} ms: ${child.stderrTail()}`)) })
    })
    return await found
  } finally {
    clearTimeout(timer)
  }
}

/** For servers without a ready line (nginx): polls until the port accepts a connection. */
export async function waitForPort (child: Child, port: number, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  child.proc.stdout!.resume()
  const deadline = Date.now() + timeoutMs
  let exitedWith: number | string | undefined
  void child.exited.then((code) => { exitedWith = code })
  while (Date.now() < deadline) {
    if (exitedWith !== undefined) throw new Error(`${child.name} exited (${exitedWith}): ${child.stderrTail()}`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => { resolve(false) })
    })
    if (ok) return
    await sleep(50)
  }
  throw new Error(`${child.name} did not accept connections on ${port} within ${timeoutMs} ms: ${child.stderrTail()}`)
}

export async function stop (child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return
  child.proc.kill('SIGTERM')
  const timer = setTimeout(() => { child.proc.kill('SIGKILL') }, STOP_GRACE_MS)
  try {
    await child.exited
  } finally {
    clearTimeout(timer)
  }
}

export async function stopAll (): Promise<void> {
  await Promise.all([...running].map(stop))
}

/** Last resort when the benchmark itself is exiting: no await possible, so SIGKILL. */
export function killAllNow (): void {
  for (const c of running) c.proc.kill('SIGKILL')
}

/** Resolves when the child exits; rejects if it is still running after `timeoutMs`. */
export async function waitExit (child: Child, timeoutMs: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`${child.name} still running after ${timeoutMs} ms`)) }, timeoutMs)
  })
  try {
    return await Promise.race([child.exited, late])
  } finally {
    clearTimeout(timer)
  }
}
