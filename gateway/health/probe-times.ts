/**
 * When each health-check target is probed next. Targets due at the same point
 * of the timer grid (probe-logic.ts: interval / 600, 100 ms at 60 s) wait in
 * one list under one Node timer, instead of a timer each: at 12,000 replicas
 * that is about 10 timers a second instead of 200, and no timer object or
 * closure per probe living until the next one (each outlived the young
 * generation and was collected by a full mark-compact). Below 1.2 s intervals
 * the grid is 1 ms and every target keeps a timer of its own, as before.
 */
import { onTimerGrid } from './probe-logic.js'

export class ProbeTimes<T> {
  readonly #due = new Map<number, T[]>()
  readonly #timers = new Set<NodeJS.Timeout>()
  readonly #fire: (item: T) => void

  /** `fire` runs once for each `at`, when its time comes (unless `cancelAll` came first). */
  constructor (fire: (item: T) => void) {
    this.#fire = fire
  }

  /** Fires `item` `delayMs` from now, rounded down onto the grid of `intervalMs` (never later than asked). */
  at (item: T, delayMs: number, intervalMs: number): void {
    const now = performance.now()
    let due = onTimerGrid(now + delayMs, intervalMs)
    if (due <= now) due = now + delayMs
    let list = this.#due.get(due)
    if (list === undefined) {
      list = []
      this.#due.set(due, list)
      const timer = setTimeout(() => {
        this.#timers.delete(timer)
        this.#run(due)
      }, due - now)
      timer.unref()
      this.#timers.add(timer)
    }
    list.push(item)
  }

  cancelAll (): void {
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    this.#due.clear()
  }

  #run (due: number): void {
    const list = this.#due.get(due)
    this.#due.delete(due)
    if (list !== undefined) for (const item of list) this.#fire(item)
  }
}
