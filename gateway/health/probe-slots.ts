/**
 * At most N probes in flight per gateway; the rest wait their turn, first come
 * first served, before their deadline starts. A fresh gateway probes every
 * replica at once: with 12,000 replicas the probes queued in its own event loop
 * and nearly all failed with "timeout" for no fault of the replicas
 * (bench/scale.ts).
 */
export const MAX_CONCURRENT_PROBES = 256

export class ProbeSlots {
  readonly #max: number
  #running = 0
  #waiting: Array<(granted: boolean) => void> = []
  #head = 0

  constructor (max = MAX_CONCURRENT_PROBES) {
    this.#max = max
  }

  /** Resolves true with a slot (release it after), or false when cancelled while waiting. */
  acquire (): Promise<boolean> {
    if (this.#running < this.#max) {
      this.#running++
      return Promise.resolve(true)
    }
    return new Promise((resolve) => { this.#waiting.push(resolve) })
  }

  release (): void {
    if (this.#head < this.#waiting.length) {
      // The slot passes to the next waiter; the running count stays.
      this.#waiting[this.#head++]!(true)
      if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
        this.#waiting = this.#waiting.slice(this.#head)
        this.#head = 0
      }
      return
    }
    this.#running--
  }

  /** Wakes every waiter without a slot (shutdown). */
  cancelAll (): void {
    const waiting = this.#waiting.slice(this.#head)
    this.#waiting = []
    this.#head = 0
    for (const w of waiting) w(false)
  }
}
