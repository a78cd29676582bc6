/**
 * send: the upstream call of one request, with the policies around it kept
 * small and apart: a slot on the replica (bounded wait), one deadline for the
 * whole request (retries included), cancellation when the client goes away,
 * and the retry policy of retry-policy.ts applied once on another replica of
 * the same transport. Health feedback sees every attempt.
 *
 * The policies are the same for both transports; what one attempt is (an
 * undici dispatch for REST, a unary call on a channel for gRPC) is the one
 * method a transport's exchange fills in.
 */
import { GatewayError } from '../errors.js'
import { pickReplica } from '../routing/pick-replica.js'
import type { ReplicaFeedback } from './feedback.js'
import type { Replica } from './replica.js'
import type { RequestBody } from './request-body.js'
import type { Model, Version } from './router.js'
import { requestDeadline, retryOnAnotherReplica } from './retry-policy.js'
import { translateUpstreamError, UpstreamCall, UpstreamFailure, type UpstreamResponse } from './upstream.js'

export interface SendRequest {
  readonly model: Model
  readonly version: Version
  /** performance.now() when the request arrived: the deadline is this plus the model's request timeout. */
  readonly start: number
  /** An earlier deadline (performance.now() time) the client set, e.g. gRPC's grpc-timeout. */
  readonly clientDeadline?: number
}

export interface HttpSendRequest extends SendRequest {
  readonly method: 'GET' | 'POST'
  /** Path on the replica, without the replica's own prefix. */
  readonly path: string
  readonly headers: string[]
  readonly body: RequestBody | null
}

export interface Sent<Res> {
  response: Res
  replica: Replica
}

/** One attempt on one replica; rejects with UpstreamFailure. */
export interface Attempt<Res> {
  readonly done: Promise<Res>
  cancel (): void
}

/**
 * One request's upstream exchange. Created per request; `cancel()` is called
 * when the client goes away and aborts whatever attempt is in flight.
 */
export abstract class Exchange<Res> {
  #call: Attempt<Res> | null = null
  #cancelled = false
  readonly #deadline: number
  /** The replica of the last attempt (reported with errors, never sent to clients). */
  replica: Replica

  constructor (readonly req: SendRequest, first: Replica, readonly feedback: ReplicaFeedback) {
    this.replica = first
    this.#deadline = requestDeadline(req.start, req.model.cfg.requestTimeoutMs, req.clientDeadline)
  }

  /** Starts one attempt on `replica`, to be answered by `deadline` (performance.now() time). */
  protected abstract attempt (replica: Replica, deadline: number): Attempt<Res>
  /** The replica answered, but with a failure of its own (a 5xx, a gRPC INTERNAL): health feedback counts it. */
  protected abstract failed (response: Res): boolean

  cancel (): void {
    this.#cancelled = true
    this.#call?.cancel()
  }

  get cancelled (): boolean {
    return this.#cancelled
  }

  async run (): Promise<Sent<Res>> {
    const { model, version } = this.req
    const deadline = this.#deadline
    try {
      return await this.#try(this.replica, deadline)
    } catch (err) {
      if (!retryOnAnotherReplica(err, { idempotent: model.cfg.idempotent, cancelled: this.#cancelled, now: performance.now(), deadline })) throw this.#translate(err)
      const other = pickReplica(version.byTransport[this.replica.transport], this.replica)
      if (other === undefined) throw this.#translate(err)
      this.replica = other
      try {
        return await this.#try(other, deadline)
      } catch (err2) {
        throw this.#translate(err2)
      }
    }
  }

  async #try (replica: Replica, deadline: number): Promise<Sent<Res>> {
    const { model, version } = this.req
    if (!replica.tryAcquire()) {
      const wait = Math.min(model.cfg.queueTimeoutMs, deadline - performance.now())
      if (!(await replica.acquire(wait))) {
        throw new GatewayError('GW_REPLICA_BUSY', { model: model.name, version: version.name, replica: replica.url, timeoutMs: Math.max(0, Math.round(wait)) })
      }
    }
    try {
      if (this.#cancelled) throw new UpstreamFailure(new Error('the client closed the connection'), false)
      const call = this.attempt(replica, deadline)
      this.#call = call
      const response = await call.done
      if (this.failed(response)) this.feedback.failure(replica, version)
      else this.feedback.success(replica)
      return { response, replica }
    } catch (err) {
      // A cancelled call says nothing about the replica's health.
      if (!this.#cancelled) this.feedback.failure(replica, version)
      throw err
    } finally {
      this.#call = null
      replica.release()
    }
  }

  #translate (err: unknown): GatewayError {
    const { model, version } = this.req
    if (this.#cancelled) return new GatewayError('GW_CLIENT_CLOSED', { model: model.name, version: version.name, replica: this.replica.url }, err)
    if (err instanceof UpstreamFailure) return translateUpstreamError(err, model.name, version.name, this.replica.url, Math.round(this.#deadline - this.req.start))
    return err instanceof GatewayError ? err : new GatewayError('GW_INTERNAL', {}, err)
  }
}

/** The REST protocol's exchange: an undici dispatch on the replica's pool. */
export class HttpExchange extends Exchange<UpstreamResponse> {
  declare readonly req: HttpSendRequest

  constructor (req: HttpSendRequest, first: Replica, feedback: ReplicaFeedback) {
    super(req, first, feedback)
  }

  protected attempt (replica: Replica, deadline: number): Attempt<UpstreamResponse> {
    const r = this.req
    return new UpstreamCall(replica.pool, {
      path: replica.prefix + r.path,
      method: r.method,
      headers: r.headers,
      body: r.body,
      deadline,
      maxResponseBytes: r.model.cfg.maxResponseBytes
    })
  }

  protected failed (response: UpstreamResponse): boolean {
    return response.statusCode >= 500
  }
}
