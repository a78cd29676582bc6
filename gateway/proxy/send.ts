/**
 * send: the upstream call of one request, with the policies around it kept
 * small and apart: a slot on the replica (bounded wait), one deadline for the
 * whole request (retries included), cancellation when the client goes away,
 * and the retry policy of upstream.ts (`mayRetry`) applied once on another
 * replica. Health feedback sees every attempt.
 */
import { GatewayError } from '../errors.js'
import { pickReplica } from '../routing/pick-replica.js'
import type { ReplicaFeedback } from './feedback.js'
import type { Replica } from './replica.js'
import type { RequestBody } from './request-body.js'
import type { Model, Version } from './router.js'
import { mayRetry, translateUpstreamError, UpstreamCall, UpstreamFailure, type UpstreamResponse } from './upstream.js'

export interface SendRequest {
  readonly model: Model
  readonly version: Version
  readonly method: 'GET' | 'POST'
  /** Path on the replica, without the replica's own prefix. */
  readonly path: string
  readonly headers: string[]
  readonly body: RequestBody | null
  /** performance.now() when the request arrived: the deadline is this plus the model's request timeout. */
  readonly start: number
}

export interface Sent {
  response: UpstreamResponse
  replica: Replica
}

/**
 * One request's upstream exchange. Created per request; `cancel()` is called
 * when the client goes away and aborts whatever attempt is in flight.
 */
export class Exchange {
  #call: UpstreamCall | null = null
  #cancelled = false
  /** The replica of the last attempt (reported with errors, never sent to clients). */
  replica: Replica

  constructor (readonly req: SendRequest, first: Replica, readonly feedback: ReplicaFeedback) {
    this.replica = first
  }

  cancel (): void {
    this.#cancelled = true
    this.#call?.cancel()
  }

  get cancelled (): boolean {
    return this.#cancelled
  }

  async run (): Promise<Sent> {
    const { model, version } = this.req
    const cfg = model.cfg
    const deadline = this.req.start + cfg.requestTimeoutMs
    try {
      return await this.#attempt(this.replica, deadline)
    } catch (err) {
      if (!(err instanceof UpstreamFailure) || this.#cancelled || !mayRetry(err, cfg.idempotent) || performance.now() >= deadline) throw this.#translate(err)
      const other = pickReplica(version.replicas, this.replica)
      if (other === undefined) throw this.#translate(err)
      this.replica = other
      try {
        return await this.#attempt(other, deadline)
      } catch (err2) {
        throw this.#translate(err2)
      }
    }
  }

  async #attempt (replica: Replica, deadline: number): Promise<Sent> {
    const { model, version } = this.req
    if (!replica.tryAcquire()) {
      const wait = Math.min(model.cfg.queueTimeoutMs, deadline - performance.now())
      if (!(await replica.acquire(wait))) {
        throw new GatewayError('GW_REPLICA_BUSY', { model: model.name, version: version.name, replica: replica.url, timeoutMs: Math.max(0, Math.round(wait)) })
      }
    }
    try {
      if (this.#cancelled) throw new UpstreamFailure(new Error('the client closed the connection'), false)
      const call = new UpstreamCall(replica.pool, {
        path: replica.prefix + this.req.path,
        method: this.req.method,
        headers: this.req.headers,
        body: this.req.body,
        deadline,
        maxResponseBytes: model.cfg.maxResponseBytes
      })
      this.#call = call
      const response = await call.done
      if (response.statusCode >= 500) this.feedback.failure(replica, version)
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
    if (err instanceof UpstreamFailure) return translateUpstreamError(err, model.name, version.name, this.replica.url, model.cfg.requestTimeoutMs)
    return err instanceof GatewayError ? err : new GatewayError('GW_INTERNAL', {}, err)
  }
}
