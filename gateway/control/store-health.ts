/**
 * Whether the state store answers, as one instance sees it: the heartbeat
 * (every second, a write and a read) marks it available; any failure marks it
 * unavailable from that moment until the next heartbeat that succeeds. The
 * admin view, `rollout status` and /metrics show it.
 */
export class HealthTracker {
  #available = true
  #since: number | null = null
  #error: string | null = null
  readonly #now: () => number

  constructor (now: () => number = Date.now) {
    this.#now = now
  }

  get available (): boolean { return this.#available }
  /** Epoch ms of the first failure since the store last answered, or null. */
  get since (): number | null { return this.#since }
  get error (): string | null { return this.#error }

  /** The store answered. Returns true when this ends an outage. */
  ok (): boolean {
    const ended = !this.#available
    this.#available = true
    this.#since = null
    this.#error = null
    return ended
  }

  /** The store failed. Returns true when this starts an outage. */
  fail (error: string): boolean {
    this.#error = error
    if (!this.#available) return false
    this.#available = false
    this.#since = this.#now()
    return true
  }
}
