/**
 * Shadow traffic: a deterministic share of live infer requests is
 * mirrored to a model's shadow version, and each pair of answers (primary and
 * shadow) is handed to a sink once both are in.
 *
 * Nothing on the response path waits for the shadow: start() decides and
 * returns at once (the call itself is dispatched on the next turn of the event
 * loop, after the primary's), and primaryDone() only records. Shadow calls in
 * flight per instance are bounded; beyond the bound a mirror is dropped and
 * counted. Requests that are not mirrored cost one Map lookup and one hash, and
 * allocate nothing.
 */
import type { Logger } from 'pino'
import { SHADOW_HEADER } from '../config/defaults.js'
import type { RoutingState } from '../state/routing-state.js'
import { bucketOf } from '../routing/buckets.js'
import { pickReplica } from '../routing/pick-replica.js'
import type { Model as ModelRoute, Version as VersionRoute } from './router.js'
import { translateUpstreamError, UpstreamCall, UpstreamFailure } from './upstream.js'
import type { RequestBody } from './request-body.js'
import { diffOutputs, NOT_COMPARABLE, parseOutputs, type OutputDiff } from './output-diff.js'

/**
 * Seed of the mirror hash: fixed, so the same request id is mirrored (or not) on
 * every instance and across releases, and a test can tell which ids were chosen.
 */
export const SHADOW_HASH_SEED = 0x5ad0_3c11
/** At most one "shadow dropped" log line per this many ms. */
export const SHADOW_DROP_LOG_MS = 10_000

/** Bucket (0..9999) of a request id; mirrored when below the shadow's weight in basis points. */
export function shadowBucket (requestId: string): number {
  return bucketOf(requestId, SHADOW_HASH_SEED)
}

/** One mirrored request: both answers. Status 0 on the shadow side: no answer (error says why). */
export interface ShadowPair {
  startedAt: number
  requestId: string
  model: string
  primaryVersion: string
  primaryStatus: number
  primaryMs: number
  primaryBody: Buffer | null
  shadowVersion: string
  shadowStatus: number
  shadowMs: number
  shadowError: string
  shadowBody: Buffer | null
  /** How far the outputs are apart (both 2xx OIP answers), computed once when the pair is complete. */
  diff: OutputDiff
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
  sink: ShadowPairSink | null
  logger: Logger
}

interface Target { version: string, weight: number }

export class ShadowMirror {
  readonly #opts: ShadowMirrorOptions
  #targets = new Map<string, Target>()
  #inFlight = 0
  readonly #stats = { mirrored: 0, dropped: 0, failed: 0, sameVersion: 0 }
  #lastDropLog = 0
  #dropsSinceLog = 0
  /** Shadow calls outstanding: close() cuts them off. */
  readonly #calls = new Set<UpstreamCall>()
  #closed = false

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
   * Called on the request path right after the version decision. Returns a
   * ticket when this request is mirrored (the shadow call is on its way), else null.
   */
  start (model: ModelRoute, requestId: string, forwardHeaders: readonly string[], body: RequestBody | null): ShadowTicket | null {
    if (this.#targets.size === 0 || body === null || this.#closed) return null
    const t = this.#targets.get(model.name)
    if (t === undefined || shadowBucket(requestId) >= t.weight) return null
    const version = model.versions.get(t.version)
    // Live traffic only: a batch job's rows are not what the shadow is meant to see.
    if (version === undefined || isBatch(forwardHeaders)) return null
    if (this.#inFlight >= this.#opts.maxInFlight) {
      this.#dropped(model.name, t.version)
      return null
    }
    this.#inFlight++
    this.#stats.mirrored++
    const ticket = new ShadowTicket(this, model, version, requestId)
    const headers = [...forwardHeaders, SHADOW_HEADER, '1']
    setImmediate(() => { this.#send(ticket, model, version, headers, body) })
    return ticket
  }

  /**
   * On shutdown, after the data plane drained: shadow calls still outstanding
   * (a hung shadow version) are cut off instead of holding the exit for their
   * whole deadline. Their pairs are emitted with the error.
   */
  close (): void {
    this.#closed = true
    for (const c of this.#calls) c.cancel()
    this.#calls.clear()
  }

  stats (): ShadowStats {
    return { ...this.#stats, inFlight: this.#inFlight }
  }

  /** @internal the ticket reports a finished pair. */
  emit (p: ShadowPair): void {
    if (p.primaryVersion === p.shadowVersion) {
      this.#stats.sameVersion++
      return
    }
    if (this.#opts.sink === null) return
    const a = ok(p.primaryStatus) ? parseOutputs(p.primaryBody) : null
    const b = a !== null && ok(p.shadowStatus) ? parseOutputs(p.shadowBody) : null
    p.diff = a !== null && b !== null ? diffOutputs(a, b) : NOT_COMPARABLE
    try {
      this.#opts.sink?.pair(p)
    } catch (err) {
      this.#opts.logger.error({ err }, 'shadow pair sink failed')
    }
  }

  #send (ticket: ShadowTicket, model: ModelRoute, version: VersionRoute, headers: string[], body: RequestBody): void {
    const start = performance.now()
    // A free slot on a replica of the shadow version, or no call: the shadow never queues behind live traffic.
    const replica = pickReplica(version.byTransport.rest)
    if (replica === undefined || !replica.tryAcquire()) {
      this.#inFlight--
      this.#stats.failed++
      ticket.shadowDone(0, null, 0, replica === undefined ? 'GW_NO_HEALTHY_REPLICA' : 'GW_REPLICA_BUSY')
      return
    }
    const call = new UpstreamCall(replica.pool, {
      path: replica.prefix + version.inferPath,
      method: 'POST',
      headers,
      body,
      deadline: start + (this.#opts.timeoutMs ?? model.cfg.requestTimeoutMs),
      maxResponseBytes: model.cfg.maxResponseBytes
    })
    this.#calls.add(call)
    const done = (status: number, resBody: Buffer | null, error: string): void => {
      this.#calls.delete(call)
      replica.release()
      this.#inFlight--
      if (error !== '' || status >= 500) this.#stats.failed++
      ticket.shadowDone(status, resBody, performance.now() - start, error)
    }
    call.done.then(
      (res) => { done(res.statusCode, res.body, '') },
      (err: unknown) => {
        // The gateway's own code (GW_UPSTREAM_TIMEOUT, …), as the data plane would answer, not undici's.
        if (err instanceof UpstreamFailure) done(0, null, translateUpstreamError(err, model.name, version.name, replica.url, this.#opts.timeoutMs ?? model.cfg.requestTimeoutMs).code)
        else done(0, null, (err as Error).name)
      }
    )
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

/** One mirrored request; the pair goes to the sink when both sides are done. */
export class ShadowTicket {
  readonly #mirror: ShadowMirror
  readonly #pair: ShadowPair
  #primary = false
  #shadow = false

  constructor (mirror: ShadowMirror, model: ModelRoute, version: VersionRoute, requestId: string) {
    this.#mirror = mirror
    this.#pair = {
      startedAt: Date.now(),
      requestId,
      model: model.name,
      primaryVersion: '',
      primaryStatus: 0,
      primaryMs: 0,
      primaryBody: null,
      shadowVersion: version.name,
      shadowStatus: 0,
      shadowMs: 0,
      shadowError: '',
      shadowBody: null,
      diff: NOT_COMPARABLE
    }
  }

  /** Called once the primary answered (or failed): its version, status, body and latency. */
  primaryDone (version: string, status: number, body: Buffer | null, latencyMs: number): void {
    if (this.#primary) return
    this.#primary = true
    const p = this.#pair
    p.primaryVersion = version
    p.primaryStatus = status
    p.primaryBody = body
    p.primaryMs = latencyMs
    // Still on the response path: the pair is built on a later turn.
    if (this.#shadow) setImmediate(() => { this.#mirror.emit(p) })
  }

  /** @internal */
  shadowDone (status: number, body: Buffer | null, latencyMs: number, error: string): void {
    const p = this.#pair
    p.shadowStatus = status
    p.shadowBody = body
    p.shadowMs = latencyMs
    p.shadowError = error
    this.#shadow = true
    if (this.#primary) this.#mirror.emit(p)
  }
}
