/**
 * Keeps per-request warnings from flooding the log during an outage: the first
 * event of a kind is logged at once, later ones at most once per interval, with
 * the number that were left out in between.
 */
export const THROTTLE_INTERVAL_MS = 10_000
/** Kinds tracked at most; keys are built from bounded things (codes, model and version names). */
const MAX_KINDS = 1_000

export class ThrottledLog {
  readonly #intervalMs: number
  readonly #kinds = new Map<string, { last: number, suppressed: number }>()

  constructor (intervalMs = THROTTLE_INTERVAL_MS) {
    this.#intervalMs = intervalMs
  }

  /**
   * Call once per event. Returns how many events of this kind were suppressed
   * since the last logged one when this one should be logged, or -1 when it should not.
   */
  admit (kind: string, now = Date.now()): number {
    const k = this.#kinds.get(kind)
    if (k === undefined) {
      if (this.#kinds.size >= MAX_KINDS) this.#kinds.clear()
      this.#kinds.set(kind, { last: now, suppressed: 0 })
      return 0
    }
    if (now - k.last < this.#intervalMs) {
      k.suppressed++
      return -1
    }
    const suppressed = k.suppressed
    k.last = now
    k.suppressed = 0
    return suppressed
  }
}
