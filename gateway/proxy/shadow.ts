/**
 * Shadow traffic: a deterministic share of live infer requests is
 * mirrored to a model's shadow version, and each pair of answers (primary and
 * shadow) is handed to a sink once both are in.
 *
 * Nothing on the response path waits for the shadow: start() decides and
 * returns at once, and primaryDone() only records. The calls chosen in one
 * turn of the event loop are sent together on the next (after the primary's),
 * and the pairs completed in one turn are compared and handed to the sinks
 * together on a later one, so neither runs on the turn that answers a client.
 * Shadow calls in flight per instance are bounded; beyond the bound a mirror is
 * dropped and counted; a pair holds at most one response body per side (each
 * within the model's maxResponseBytes). Requests that are not mirrored cost one
 * Map lookup and one hash, and allocate nothing.
 */
import type { Logger } from 'pino'
import type { RoutingState } from '../state/routing-state.js'
import { bucketOf } from '../routing/buckets.js'
import { pickReplica } from '../routing/pick-replica.js'
import type { Model as ModelRoute } from './router.js'
import type { Replica } from './replica.js'
import type { MirrorPool } from './mirror-pool.js'
import type { RequestBody } from './request-body.js'
import { diffOutputs, NOT_COMPARABLE, parseOutputs } from './output-diff.js'
import { ShadowCall, type ShadowCallOwner, type ShadowPair } from './shadow-call.js'

export type { ShadowPair }
/** What the request path holds of a mirrored request: primaryDone() once the primary answered. */
export type ShadowTicket = Pick<ShadowCall, 'primaryDone'>

/**
 * Seed of the mirror hash: fixed, so the same request id is mirrored (or not) on
 * every instance and across releases, and a test can tell which ids were chosen.
 */
export const SHADOW_HASH_SEED = 0x5ad0_3c11
/** At most one "shadow dropped" log line per this many ms. */
export const SHADOW_DROP_LOG_MS = 10_000
/** How often calls in flight are checked against their deadline (see ShadowCall.expire); a call ends at most this late. */
const DEADLINE_SWEEP_MS = 250

/** Bucket (0..9999) of a request id; mirrored when below the shadow's weight in basis points. */
export function shadowBucket (requestId: string): number {
  return bucketOf(requestId, SHADOW_HASH_SEED)
}

export interface ShadowPairSink {
  pair (p: ShadowPair): void
}

export interface ShadowStats {
  mirrored: number
  dropped: number
  failed: number
  /** Mirrored requests that the primary routed to the shadow version itself: no pair. */
  sameVersion: number
  inFlight: number
}

export interface ShadowMirrorOptions {
  maxInFlight: number
  /** Deadline of one shadow call; undefined: the model's request timeout. */
  timeoutMs: number | undefined
  /** Shadow calls pipelined on one connection at most; 1: one per connection, on the replica's live pool. */
  pipelining?: number
  sink: ShadowPairSink | null
  logger: Logger
}

interface Target { version: string, weight: number }

export class ShadowMirror implements ShadowCallOwner {
  readonly #opts: ShadowMirrorOptions
  #targets = new Map<string, Target>()
  #inFlight = 0
  readonly #stats = { mirrored: 0, dropped: 0, failed: 0, sameVersion: 0 }
  #lastDropLog = 0
  #dropsSinceLog = 0
  /** Shadow calls outstanding: close() cuts them off. */
  readonly #calls = new Set<ShadowCall>()
  /** Calls chosen this turn, sent on the next; pairs completed, compared on the next. Two lists each, swapped per batch. */
  #toSend: ShadowCall[] = []
  #sending: ShadowCall[] = []
  #toCompare: ShadowCall[] = []
  #comparing: ShadowCall[] = []
  /** The mirror pools written to by the batch being sent: corked until it is all dispatched. */
  readonly #corked: MirrorPool[] = []
  #closed = false
  readonly #sendBatch = (): void => { this.#flushSends() }
  readonly #compareBatch = (): void => { this.#flushPairs() }
  /** Runs while calls are in flight. */
  #sweep: NodeJS.Timeout | null = null
  readonly #sweepDeadlines = (): void => { this.#expireCalls() }

  constructor (opts: ShadowMirrorOptions) {
    if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1) throw new RangeError(`maxInFlight must be an integer >= 1, got ${opts.maxInFlight}`)
    this.#opts = opts
  }

  /** Takes the shadow settings of a new routing state (subscribe this to the store). */
  apply (state: RoutingState): void {
    const next = new Map<string, Target>()
    for (const [m, ms] of Object.entries(state.models)) if (ms.shadow != null) next.set(m, { version: ms.shadow.version, weight: ms.shadow.weight })
    this.#targets = next
  }

  /**
   * Called on the request path right after the version decision, with the
   * primary's forwarded header list and body (used as they are, never copied:
   * see ShadowCall.send). Returns a ticket when this request is mirrored (its
   * call leaves on the next turn), else null.
   */
  start (model: ModelRoute, requestId: string, forwardHeaders: string[], body: RequestBody | null): ShadowTicket | null {
    if (this.#targets.size === 0 || body === null || this.#closed) return null
    const t = this.#targets.get(model.name)
    if (t === undefined || shadowBucket(requestId) >= t.weight) return null
    // Live traffic only: a batch job's rows are not what the shadow is meant to see.
    const version = model.versions.get(t.version)
    if (version === undefined || isBatch(forwardHeaders)) return null
    if (this.#inFlight >= this.#opts.maxInFlight) {
      this.#dropped(model.name, t.version)
      return null
    }
    this.#inFlight++
    this.#stats.mirrored++
    const call = new ShadowCall(this, requestId, model, version, forwardHeaders, body)
    if (this.#toSend.length === 0) setImmediate(this.#sendBatch)
    this.#toSend.push(call)
    this.#calls.add(call)
    return call
  }

  /**
   * On shutdown, after the data plane drained: shadow calls still outstanding
   * (a hung shadow version) are cut off instead of holding the exit for their
   * whole deadline. Their pairs are emitted with the error.
   */
  close (): void {
    this.#closed = true
    for (const c of this.#calls) c.cancel()
    if (this.#sweep !== null) clearInterval(this.#sweep)
    this.#sweep = null
  }

  stats (): ShadowStats {
    return { ...this.#stats, inFlight: this.#inFlight }
  }

  /** @internal a call's slot is free again. */
  callEnded (call: ShadowCall, replica: Replica, failed: boolean): void {
    this.#calls.delete(call)
    replica.release()
    this.#inFlight--
    if (failed) this.#stats.failed++
  }

  /** @internal both sides of a pair are in: compared with the others of this turn, on a later one. */
  paired (call: ShadowCall): void {
    if (this.#toCompare.length === 0) setImmediate(this.#compareBatch)
    this.#toCompare.push(call)
  }

  #flushSends (): void {
    const batch = this.#toSend
    this.#toSend = this.#sending
    this.#sending = batch
    const corked = this.#corked
    try {
      for (let i = 0; i < batch.length; i++) this.#send(batch[i]!)
    } finally {
      for (let i = 0; i < corked.length; i++) corked[i]!.uncork()
      corked.length = 0
      batch.length = 0
    }
    if (this.#sweep === null && this.#calls.size > 0 && !this.#closed) this.#sweep = setInterval(this.#sweepDeadlines, DEADLINE_SWEEP_MS).unref()
  }

  #expireCalls (): void {
    if (this.#calls.size === 0) {
      clearInterval(this.#sweep!)
      this.#sweep = null
      return
    }
    const now = performance.now()
    for (const c of this.#calls) c.expire(now)
  }

  #send (call: ShadowCall): void {
    const replicas = call.replicas
    // A free slot on a replica of the shadow version, or no call: the shadow never queues behind live traffic.
    const replica = replicas === null ? undefined : pickReplica(replicas)
    if (replica === undefined || this.#closed || !replica.tryAcquire()) {
      this.#calls.delete(call)
      this.#inFlight--
      this.#stats.failed++
      call.notSent(replica === undefined ? 'GW_NO_HEALTHY_REPLICA' : this.#closed ? 'GW_SHADOW_CANCELLED' : 'GW_REPLICA_BUSY')
      return
    }
    const depth = this.#opts.pipelining ?? 1
    if (depth === 1) {
      call.send(replica, replica.pool, this.#opts.timeoutMs)
      return
    }
    const mirror = replica.mirror(depth)
    if (!this.#corked.includes(mirror)) {
      mirror.cork()
      this.#corked.push(mirror)
    }
    call.send(replica, mirror.pool, this.#opts.timeoutMs)
  }

  #flushPairs (): void {
    const batch = this.#toCompare
    this.#toCompare = this.#comparing
    this.#comparing = batch
    for (let i = 0; i < batch.length; i++) this.#emit(batch[i]!)
    batch.length = 0
  }

  #emit (p: ShadowCall): void {
    if (p.primaryVersion === p.shadowVersion) {
      this.#stats.sameVersion++
      return
    }
    const sink = this.#opts.sink
    if (sink === null) return
    const a = ok(p.primaryStatus) ? parseOutputs(p.primaryBody) : null
    const b = a !== null && ok(p.shadowStatus) ? parseOutputs(p.shadowBody) : null
    p.diff = a !== null && b !== null ? diffOutputs(a, b) : NOT_COMPARABLE
    try {
      sink.pair(p)
    } catch (err) {
      this.#opts.logger.error({ err }, 'shadow pair sink failed')
    }
  }

  #dropped (model: string, version: string): void {
    this.#stats.dropped++
    this.#dropsSinceLog++
    const now = Date.now()
    if (now - this.#lastDropLog >= SHADOW_DROP_LOG_MS) {
      this.#opts.logger.warn({ model, version, dropped: this.#dropsSinceLog, maxInFlight: this.#opts.maxInFlight }, 'shadow calls at their in-flight bound: mirrors dropped')
      this.#lastDropLog = now
      this.#dropsSinceLog = 0
    }
  }
}

const ok = (status: number): boolean => status >= 200 && status < 300

/** A batch job's request (the x-gateway-traffic header, see server/model-proxy.ts). */
function isBatch (headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'x-gateway-traffic' && headers[i + 1] === 'batch') return true
  return false
}
