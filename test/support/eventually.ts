/**
 * Polls until `fn` stops throwing (an assertion inside it passes) and returns
 * its value; after `timeoutMs` rethrows the last failure. The one way tests
 * wait for a condition: never a fixed sleep.
 */
import { setTimeout as sleep } from 'node:timers/promises'

export interface EventuallyOptions {
  timeoutMs?: number
  intervalMs?: number
}

export async function eventually<T> (fn: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000)
  const interval = opts.intervalMs ?? 50
  for (;;) {
    try {
      return await fn()
    } catch (err) {
      if (Date.now() >= deadline) throw err
    }
    await sleep(interval)
  }
}

/** Polls `fn` until `done` holds for its value (built on eventually); the timeout's error names `what` and the last value. */
export async function waitFor<T> (what: string, fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  return await eventually(async () => {
    const v = await fn()
    if (!done(v)) throw new Error(`timed out waiting for ${what}; last value ${JSON.stringify(v)}`)
    return v
  }, { timeoutMs, intervalMs: 500 })
}
