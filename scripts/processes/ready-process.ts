import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

// Starting one of the project's servers as a real child process: each prints
// one JSON line {"event":"ready",...} on stdout once it serves. Used by the test
// helpers for models and gateways and by the demo and full-stack launchers.

export interface ReadyProcess<L> {
  child: ChildProcess
  ready: L
  /** What the process wrote to stderr so far (the last `stderrKeep` characters). */
  stderr(): string
}

export interface SpawnReadyOptions {
  /** Names the process in error messages, e.g. "gateway" or "model fraud v1". */
  label: string
  env?: NodeJS.ProcessEnv
  readyTimeoutMs: number
  stderrKeep?: number
}

export function repoRoot (): string {
  const start = dirname(fileURLToPath(import.meta.url))
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`)
  }
}

/** Resolves with how the process ended (at once if it already has). */
export function exitOf (child: ChildProcess): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process has exited. */
export async function stopProcess (child: ChildProcess, timeoutMs: number): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  const done = exitOf(child)
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const result = await done
  clearTimeout(timer)
  return result
}

/**
 * Runs `node script ...args` and waits for its ready line. Rejects, quoting the
 * process's stderr, when it exits first or prints no ready line in time (then
 * it is killed).
 */
export async function spawnReady<L extends { event: 'ready' }> (script: string, args: readonly string[], options: SpawnReadyOptions): Promise<ReadyProcess<L>> {
  const { label, env = process.env, readyTimeoutMs, stderrKeep = 64 * 1024 } = options
  if (!existsSync(script)) throw new Error(`${script} is missing: build first with \`npx tsc -p tsconfig.json\``)
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })

  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-stderrKeep)
  })

  const ready = await new Promise<L>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const finish = (err: Error | undefined, line?: L): void => {
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
      if ((parsed as Partial<L> | null)?.event === 'ready') finish(undefined, parsed as L)
    }
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      // Let stderr flush before quoting it.
      setImmediate(() => finish(new Error(`${label} exited (code ${code}, signal ${signal}) before it was ready; stderr:\n${stderr}`)))
    }
    const onError = (err: Error): void => finish(new Error(`cannot start ${label}: ${err.message}`))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      finish(new Error(`${label} printed no ready line within ${readyTimeoutMs} ms; stderr:\n${stderr}`))
    }, readyTimeoutMs)
    lines.on('line', onLine)
    child.once('exit', onExit)
    child.once('error', onError)
  })
  return { child, ready, stderr: () => stderr }
}
