/**
 * One mirrored request: the shadow call on the wire and the pair it becomes.
 * A single object per mirror is the ticket the request path holds, the undici
 * handler of the shadow call and the pair the sinks read, so mirroring a
 * request allocates it and undici's own request, little else.
 *
 * The handler uses undici's original callbacks (onConnect, onHeaders, onData,
 * onComplete, onError): the shadow needs no response headers, and the newer
 * callbacks make undici wrap the handler and a controller around it and parse
 * every response's headers and trailers into objects (handler/unwrap-handler.js),
 * about a tenth of what a mirror cost the gateway (bench/shadow.ts).
 */
import type { Dispatcher } from 'undici'
import { SHADOW_HEADER } from '../config/defaults.js'
import { NOT_COMPARABLE, type OutputDiff } from './output-diff.js'
import type { Replica } from './replica.js'
import { ChunkedBody, type RequestBody } from './request-body.js'
import { translateUpstreamError, UpstreamFailure } from './upstream.js'
import type { Model as ModelRoute, Version as VersionRoute } from './router.js'

/** One mirrored request: both answers. Status 0 on the shadow side: no answer (error says why). */
export interface ShadowPair {
  readonly startedAt: number
  readonly requestId: string
  readonly model: string
  readonly primaryVersion: string
  readonly primaryStatus: number
  readonly primaryMs: number
  readonly primaryBody: Buffer | null
  readonly shadowVersion: string
  readonly shadowStatus: number
  readonly shadowMs: number
  readonly shadowError: string
  readonly shadowBody: Buffer | null
  /** How far the outputs are apart (both 2xx OIP answers), computed once when the pair is complete, off the request path. */
  readonly diff: OutputDiff
}

/** What a call reports to the mirror that sent it. */
export interface ShadowCallOwner {
  /** The shadow call ended (answered or failed); its replica slot is free again. */
  callEnded (call: ShadowCall, replica: Replica, failed: boolean): void
  /** Both sides are in: the pair can be compared and handed to the sinks. */
  paired (call: ShadowCall): void
}

class ResponseTooLarge extends Error {
  readonly code = 'GW_RESPONSE_TOO_LARGE'
}
/** Named like undici's own, so translateUpstreamError gives it GW_UPSTREAM_TIMEOUT. */
class DeadlinePassed extends Error {
  readonly code = 'UND_ERR_BODY_TIMEOUT'
}
/** Not a failure of the shadow version: recorded as it is. */
class Cancelled extends Error {
  readonly code = 'GW_SHADOW_CANCELLED'
}

export class ShadowCall implements ShadowPair, Dispatcher.DispatchHandler {
  readonly startedAt = Date.now()
  primaryVersion = ''
  primaryStatus = 0
  primaryMs = 0
  primaryBody: Buffer | null = null
  shadowStatus = 0
  shadowMs = 0
  shadowError = ''
  shadowBody: Buffer | null = null
  diff: OutputDiff = NOT_COMPARABLE

  readonly model: string
  readonly shadowVersion: string
  readonly #owner: ShadowCallOwner
  /** What the call goes to, and the primary's forwarded header list and body, used as they are: dropped once the call is sent. */
  #route: ModelRoute | null
  #target: VersionRoute | null
  #headers: string[] | null
  #body: RequestBody | null
  #replica: Replica | null = null
  #abort: ((err?: Error) => void) | null = null
  #chunks: Buffer[] | null = null
  #length = 0
  #sentAt = 0
  #deadline = 0
  #maxBytes = 0
  #primaryIn = false
  #shadowIn = false
  /** Why the call was cut off before undici handed over its abort (shutdown, deadline): applied on connect. */
  #stopped: Error | null = null

  constructor (owner: ShadowCallOwner, readonly requestId: string, route: ModelRoute, target: VersionRoute, headers: string[], body: RequestBody) {
    this.#owner = owner
    this.model = route.name
    this.shadowVersion = target.name
    this.#route = route
    this.#target = target
    this.#headers = headers
    this.#body = body
  }

  /** The shadow version's REST replicas, to pick one from (null once sent). */
  get replicas (): readonly Replica[] | null {
    return this.#target?.byTransport.rest ?? null
  }

  /**
   * Sends the call on `replica` (whose slot the caller took). The shadow
   * header is appended to the primary's own header list for the length of the
   * dispatch and taken off again: undici reads the list into its request
   * synchronously (core/request.js), and the replica's slot guarantees a free
   * connection, so the pool never queues the options for later. A retry of the
   * primary, on a later turn, thus sends the list as it was.
   */
  send (replica: Replica, pool: Dispatcher, timeoutMs: number | undefined): void {
    const h = this.#headers!
    const b = this.#body!
    const cfg = this.#route!.cfg
    const path = replica.prefix + this.#target!.inferPath
    this.#drop()
    this.#replica = replica
    this.#sentAt = performance.now()
    const deadline = this.#deadline = this.#sentAt + (timeoutMs ?? cfg.requestTimeoutMs)
    this.#maxBytes = cfg.maxResponseBytes
    const n = h.length
    const chunked = b instanceof ChunkedBody && b.joined === null
    // A body kept in chunks is written chunk by chunk, and undici needs its length (see upstream.ts).
    if (chunked) h.push('content-length', String(b.byteLength))
    h.push(SHADOW_HEADER, '1')
    const timeout = Math.max(1, Math.ceil(deadline - this.#sentAt))
    try {
      const body = b instanceof ChunkedBody ? (chunked ? b.chunks as unknown as Buffer : b.joined) : b
      // idempotent and not blocking: undici may pipeline it behind other mirrors (mirror-pool.ts); a
      // mirror queued behind one whose connection broke is sent again on a new connection.
      pool.dispatch({ path, method: 'POST', headers: h, body, headersTimeout: timeout, bodyTimeout: timeout, idempotent: true, blocking: false }, this)
    } finally {
      h.length = n
    }
  }

  /** No call was made (no replica, or none with a free slot). */
  notSent (error: string): void {
    this.#drop()
    this.#shadowSettled(0, error)
  }

  /** The request's parts are not kept past the send: a pair may wait in a sink's buffer. */
  #drop (): void {
    this.#route = null
    this.#target = null
    this.#headers = null
    this.#body = null
  }

  /** Cuts an outstanding call off (shutdown). */
  cancel (): void {
    this.#stop(new Cancelled('the gateway is shutting down'))
  }

  /**
   * Cuts the call off once its deadline passed (called by the mirror's sweep).
   * undici's timeouts run per connection: a call pipelined behind a hung one
   * waits unseen, and is sent again on a new connection when that one is cut.
   */
  expire (now: number): void {
    if (this.#replica !== null && now > this.#deadline) this.#stop(new DeadlinePassed('the shadow deadline passed'))
  }

  #stop (err: Error): void {
    if (this.#stopped !== null) return
    this.#stopped = err
    this.#abort?.(err)
  }

  /** Called once the primary answered (or failed): its version, status, body and latency. */
  primaryDone (version: string, status: number, body: Buffer | null, latencyMs: number): void {
    if (this.#primaryIn) return
    this.#primaryIn = true
    this.primaryVersion = version
    this.primaryStatus = status
    this.primaryBody = body
    this.primaryMs = latencyMs
    if (this.#shadowIn) this.#owner.paired(this)
  }

  onConnect (abort: (err?: Error) => void): void {
    this.#abort = abort
    if (this.#stopped !== null) abort(this.#stopped)
  }

  /** Called again for the final status after any 1xx. */
  onHeaders (statusCode: number): boolean {
    this.shadowStatus = statusCode
    return true
  }

  onData (chunk: Buffer): boolean {
    this.#length += chunk.length
    // A replica that answers without end must not take the gateway's memory with it.
    if (this.#length > this.#maxBytes) this.#abort!(new ResponseTooLarge(`the shadow's response is larger than ${this.#maxBytes} bytes`))
    else if (performance.now() > this.#deadline) this.#abort!(new DeadlinePassed('the shadow deadline passed while the response body was arriving'))
    else (this.#chunks ??= []).push(chunk)
    return true
  }

  onComplete (): void {
    const c = this.#chunks
    this.shadowBody = c === null ? null : c.length === 1 ? c[0]! : Buffer.concat(c, this.#length)
    this.#chunks = null
    this.#ended(this.shadowStatus >= 500)
    this.#shadowSettled(this.shadowStatus, '')
  }

  onError (err: Error): void {
    this.#chunks = null
    const url = this.#replica!.url
    this.#ended(true)
    // The gateway's own code (GW_UPSTREAM_TIMEOUT, …), as the data plane would answer, not undici's.
    this.#shadowSettled(0, err instanceof Cancelled ? err.code : translateUpstreamError(new UpstreamFailure(err, this.shadowStatus !== 0), this.model, this.shadowVersion, url, this.#deadline - this.#sentAt).code)
  }

  #ended (failed: boolean): void {
    const r = this.#replica!
    this.#replica = null
    this.#abort = null
    this.#owner.callEnded(this, r, failed)
  }

  #shadowSettled (status: number, error: string): void {
    this.shadowStatus = status
    this.shadowError = error
    this.shadowMs = this.#sentAt === 0 ? 0 : performance.now() - this.#sentAt
    this.#shadowIn = true
    if (this.#primaryIn) this.#owner.paired(this)
  }
}
