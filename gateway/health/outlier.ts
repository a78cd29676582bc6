/**
 * Passive outlier ejection on live traffic (after Envoy's outlier detection):
 * a replica that fails `consecutiveFailures` requests in a row (connection
 * errors, 5xx) is taken out of rotation for a backoff that doubles with every
 * repeated ejection. The decisions are pure functions below; the class only
 * holds timers and tells listeners.
 */
import type { Logger } from 'pino'
import type { ResolvedModel } from '../config/load.js'
import type { Replica } from '../proxy/replica.js'
import type { Version as VersionRoute } from '../proxy/router.js'
import type { ReplicaFeedback } from '../proxy/feedback.js'

export type OutlierSettings = ResolvedModel['outlierDetection']

/** Ejection time for the n-th ejection (n >= 1): base * 2^(n-1), capped at maxEjectionMs. */
export function ejectionDuration (n: number, baseMs: number, maxMs: number): number {
  // 2^31 already exceeds every allowed maxEjectionMs, so larger exponents only risk overflow.
  const exp = Math.min(Math.max(n, 1) - 1, 31)
  return Math.min(baseMs * 2 ** exp, maxMs)
}

export interface EjectionCandidate {
  readonly available: boolean
  readonly ejected: boolean
  readonly healthy: boolean
}

/**
 * Whether ejecting `target` keeps the version within its panic threshold:
 * at most floor(n * maxEjectionPercent / 100) replicas ejected at once, and
 * never the last replica that is otherwise available (so only failing active
 * checks can leave a version with none).
 */
export function ejectionAllowed (replicas: readonly EjectionCandidate[], target: EjectionCandidate, maxEjectionPercent: number): boolean {
  if (target.ejected) return false
  let ejected = 0
  let otherAvailable = 0
  for (const r of replicas) {
    if (r.ejected) ejected++
    else if (r !== target && r.available) otherAvailable++
  }
  if (otherAvailable === 0) return false
  return ejected + 1 <= Math.floor(replicas.length * maxEjectionPercent / 100)
}

export interface EjectionEvent {
  model: string
  version: string
  replica: Replica
  /** How many times this replica has been ejected in the current streak (>= 1). */
  ejections: number
  durationMs: number
}

interface Ejection {
  timer: NodeJS.Timeout
  until: number
  model: string
  version: string
}

export class OutlierDetector implements ReplicaFeedback {
  readonly #settings: (model: string) => OutlierSettings | undefined
  readonly #logger: Logger
  readonly #now: () => number
  readonly #ejections = new Map<Replica, Ejection>()
  /** When each replica last came back; a replica that stays in long enough starts its backoff over. */
  readonly #returnedAt = new WeakMap<Replica, number>()
  readonly #listeners: Array<(e: EjectionEvent) => void> = []
  #closed = false

  constructor (settings: (model: string) => OutlierSettings | undefined, logger: Logger, now: () => number = Date.now) {
    this.#settings = settings
    this.#logger = logger
    this.#now = now
  }

  /** Per request: one comparison in the common case. */
  success (r: Replica): void {
    r.recordSuccess()
  }

  failure (r: Replica, version: VersionRoute): void {
    const n = r.recordFailure()
    if (r.ejected || this.#closed) return
    const s = this.#settings(version.model)
    if (s === undefined || !s.enabled || n < s.consecutiveFailures) return
    if (!ejectionAllowed(version.byTransport[r.transport], r, s.maxEjectionPercent)) {
      // Logged once per threshold's worth of failures, not on every failing request.
      if (n % s.consecutiveFailures === 0) {
        this.#logger.warn({ model: version.model, version: version.name, replica: r.url, consecutiveFailures: n, maxEjectionPercent: s.maxEjectionPercent }, 'replica is failing but ejecting it would exceed the panic threshold; keeping it')
      }
      return
    }
    this.#eject(r, version, s)
  }

  /** An active health check passed: an ejected replica comes back before its time is up. */
  checkSucceeded (r: Replica): void {
    const e = this.#ejections.get(r)
    if (e === undefined) return
    this.#restore(r, e, 'health check passed')
  }

  /** Called for every ejection (metrics count them). */
  onEjection (listener: (e: EjectionEvent) => void): void {
    this.#listeners.push(listener)
  }

  /** Epoch ms when the replica's current ejection ends; undefined when it is not ejected. */
  ejectedUntil (r: Replica): number | undefined {
    return this.#ejections.get(r)?.until
  }

  close (): void {
    this.#closed = true
    for (const e of this.#ejections.values()) clearTimeout(e.timer)
    this.#ejections.clear()
  }

  #eject (r: Replica, version: VersionRoute, s: OutlierSettings): void {
    const now = this.#now()
    const back = this.#returnedAt.get(r)
    // Repeated ejections grow the backoff only while they come in quick succession.
    const n = r.countEjection(back !== undefined && now - back > s.maxEjectionMs)
    const durationMs = ejectionDuration(n, s.baseEjectionMs, s.maxEjectionMs)
    const e: Ejection = { timer: setTimeout(() => { this.#restore(r, e, 'ejection time ended') }, durationMs), until: now + durationMs, model: version.model, version: version.name }
    e.timer.unref()
    this.#ejections.set(r, e)
    r.setEjected(true)
    this.#logger.warn({ model: version.model, version: version.name, replica: r.url, consecutiveFailures: r.consecutiveFailures, ejections: n, durationMs }, 'replica ejected after consecutive failures on live traffic')
    const event: EjectionEvent = { model: version.model, version: version.name, replica: r, ejections: n, durationMs }
    for (const l of this.#listeners) {
      try {
        l(event)
      } catch (err) {
        this.#logger.error({ err }, 'ejection listener failed')
      }
    }
  }

  #restore (r: Replica, e: Ejection, reason: string): void {
    if (this.#ejections.get(r) !== e) return
    clearTimeout(e.timer)
    this.#ejections.delete(r)
    r.setEjected(false)
    this.#returnedAt.set(r, this.#now())
    // Say what happened: a replica whose active checks still fail stays out of rotation.
    if (r.available) this.#logger.warn({ model: e.model, version: e.version, replica: r.url, reason }, 'replica returned to rotation')
    else this.#logger.warn({ model: e.model, version: e.version, replica: r.url, reason }, 'ejection ended; replica stays out of rotation: its health checks fail')
  }
}
