/**
 * Follows one version's DNS name: resolves it now, then again when the answer
 * expires (schedule.ts), and reports the replica URLs whenever they change. On
 * failure it keeps the last good set, reports the failure and backs off.
 */
import type { ResolvedDiscovery } from '../config/load.js'
import { DiscoveryError, type DnsLookup } from './dns.js'
import { delayAfterAnswer, delayAfterFailure, type ResolveTiming } from './schedule.js'

export interface WatcherEvents {
  /** The replica set changed (also the first answer). */
  changed: (urls: readonly string[]) => void
  failed: (err: DiscoveryError, consecutiveFailures: number) => void
}

export interface WatcherStatus {
  dns: string
  replicas: readonly string[]
  lastAnswerAt: string | null
  ttlSeconds: number | null
  consecutiveFailures: number
  lastError: string | null
  nextResolveInMs: number | null
}

export function replicaUrl (spec: ResolvedDiscovery, address: string): string {
  const host = address.includes(':') ? `[${address}]` : address
  return `${spec.scheme}://${host}:${spec.port}${spec.path}`
}

export class DnsWatcher {
  readonly spec: ResolvedDiscovery
  readonly #lookup: DnsLookup
  readonly #timing: ResolveTiming
  readonly #events: WatcherEvents
  #urls: readonly string[] = []
  #failures = 0
  #lastError: string | null = null
  #lastAnswerAt: number | null = null
  #ttl: number | null = null
  #timer: NodeJS.Timeout | undefined
  #dueAt: number | null = null
  #running: Promise<void> | undefined
  #closed = false

  constructor (spec: ResolvedDiscovery, lookup: DnsLookup, timing: ResolveTiming, events: WatcherEvents) {
    this.spec = spec
    this.#lookup = lookup
    this.#timing = timing
    this.#events = events
  }

  start (): void {
    void this.refresh()
  }

  /** Resolves now (unless a lookup is already running) and reschedules. */
  refresh (): Promise<void> {
    clearTimeout(this.#timer)
    this.#running ??= this.#resolve().finally(() => { this.#running = undefined })
    return this.#running
  }

  status (): WatcherStatus {
    return {
      dns: this.spec.dns,
      replicas: this.#urls,
      lastAnswerAt: this.#lastAnswerAt === null ? null : new Date(this.#lastAnswerAt).toISOString(),
      ttlSeconds: this.#ttl,
      consecutiveFailures: this.#failures,
      lastError: this.#lastError,
      nextResolveInMs: this.#dueAt === null ? null : Math.max(0, this.#dueAt - Date.now())
    }
  }

  close (): void {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#dueAt = null
  }

  async #resolve (): Promise<void> {
    let delay: number
    try {
      const r = await this.#lookup.resolve(this.spec.dns, this.spec.family)
      if (this.#closed) return
      this.#failures = 0
      this.#lastError = null
      this.#lastAnswerAt = Date.now()
      this.#ttl = r.ttlSeconds
      const urls = r.addresses.map(a => replicaUrl(this.spec, a))
      if (urls.length !== this.#urls.length || urls.some((u, i) => u !== this.#urls[i])) {
        this.#urls = urls
        this.#events.changed(urls)
      }
      delay = delayAfterAnswer(r.ttlSeconds, this.#timing)
    } catch (err) {
      if (this.#closed) return
      const e = err instanceof DiscoveryError ? err : new DiscoveryError('ERROR', (err as Error).message)
      this.#failures++
      this.#lastError = e.message
      this.#events.failed(e, this.#failures)
      delay = delayAfterFailure(this.#failures, this.#timing)
    }
    this.#dueAt = Date.now() + delay
    this.#timer = setTimeout(() => { void this.refresh() }, delay)
    this.#timer.unref()
  }
}
