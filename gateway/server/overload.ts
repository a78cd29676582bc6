/**
 * Load shedding where the wait really is. When the gateway's own event loop is
 * saturated, requests wait in socket buffers before the gateway reads them, so
 * neither a replica's connection cap nor its queue timeout ever fires: clients
 * see seconds of latency and timeouts instead of an answer. The guard watches
 * the event loop's delay (as @fastify/under-pressure does) and the requests in
 * progress (as Envoy's overload manager does) and, past a limit, the data
 * plane answers 503 GW_OVERLOADED with Retry-After at once: a refusal costs a
 * fraction of a proxied request and frees the core for the requests kept.
 *
 * The delay is how late a timer fires: a timer due every SAMPLE_MS runs once
 * per turn of the loop, so its lateness is about how long a request that
 * arrives now waits before the gateway reads it. (perf_hooks'
 * monitorEventLoopDelay records nothing while a callback holds the loop, which
 * is exactly the case to catch.) The per-request check reads one boolean and
 * one number; the delay is summarised off the request path, every WINDOW_MS.
 */
import type { GatewayConfig } from '../config/load.js'

/**
 * maxEventLoopDelayMs: shed while the event loop's mean delay over the last
 * window is above it; maxInFlight: shed while this many scoring requests are in
 * progress; retryAfterS: sent as Retry-After. 0 turns a measure off.
 */
export type OverloadSettings = GatewayConfig['overload']

/** How often the delay is summarised: short enough to follow a burst, long enough to smooth one slow callback. */
const WINDOW_MS = 250
/** How often the loop's delay is sampled. */
const SAMPLE_MS = 20

export class OverloadGuard {
  readonly settings: OverloadSettings
  /** Told when shedding for event-loop delay starts and stops (logged by the caller). */
  onTransition: (shedding: boolean, delayMs: number) => void = () => {}
  #delayed = false
  #delayMs = 0
  #shed = 0
  readonly #timer: NodeJS.Timeout | null

  constructor (settings: OverloadSettings) {
    this.settings = settings
    if (settings.maxEventLoopDelayMs > 0) {
      let due = performance.now() + SAMPLE_MS
      let windowEnd = due - SAMPLE_MS + WINDOW_MS
      let sum = 0
      let samples = 0
      this.#timer = setInterval(() => {
        const now = performance.now()
        sum += Math.max(0, now - due)
        samples++
        due = now + SAMPLE_MS
        if (now < windowEnd) return
        this.#delayMs = sum / samples
        sum = samples = 0
        windowEnd = now + WINDOW_MS
        const delayed = this.#delayMs > settings.maxEventLoopDelayMs
        if (delayed !== this.#delayed) {
          this.#delayed = delayed
          this.onTransition(delayed, this.#delayMs)
        }
      }, SAMPLE_MS)
      this.#timer.unref()
    } else {
      this.#timer = null
    }
  }

  get enabled (): boolean {
    return this.settings.maxEventLoopDelayMs > 0 || this.settings.maxInFlight > 0
  }

  /** Whether a new scoring request is admitted, with `inFlight` requests in progress; a refusal is counted. */
  admit (inFlight: number): boolean {
    if (this.#delayed || (this.settings.maxInFlight > 0 && inFlight >= this.settings.maxInFlight)) {
      this.#shed++
      return false
    }
    return true
  }

  /** Mean event-loop delay over the last window, in ms (0 when not watched). */
  get eventLoopDelayMs (): number { return this.#delayMs }
  /** Requests refused since start. */
  get shed (): number { return this.#shed }

  close (): void {
    if (this.#timer !== null) clearInterval(this.#timer)
  }
}
