/**
 * One call to a replica, on undici's dispatch API: the response body is small and
 * collected into one Buffer, which skips the Readable that `request()` builds for
 * every response. Transport errors are translated into gateway errors in one
 * place (translateUpstreamError), keeping the undici error as `cause`.
 */
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { ChunkedBody, type RequestBody } from './request-body.js'
import { GatewayError } from '../errors.js'

export interface UpstreamResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

export interface UpstreamRequest {
  path: string
  method: 'GET' | 'POST'
  headers: string[]
  body: RequestBody | null
  /** performance.now() by which the whole answer must have arrived (one deadline per request, retries included). */
  deadline: number
  /** Responses larger than this are cut and fail with GW_UPSTREAM_ERROR. */
  maxResponseBytes: number
}

/** An upstream failure, with whether any response byte had arrived (then it must not be retried). */
export class UpstreamFailure extends Error {
  constructor (override readonly cause: Error, readonly responseStarted: boolean) {
    super(cause.message)
    this.name = 'UpstreamFailure'
  }
}

class ResponseTooLarge extends Error {
  readonly code = 'GW_RESPONSE_TOO_LARGE'
  constructor (readonly limit: number) {
    super(`the model's response is larger than ${limit} bytes`)
  }
}

/** The request's deadline passed while the body was still arriving (undici's timeouts measure idle time only). */
class DeadlinePassed extends Error {
  readonly code = 'UND_ERR_BODY_TIMEOUT'
  constructor () {
    super('the request deadline passed while the response body was arriving')
  }
}

/** The client went away: the upstream call is cancelled so the replica's slot frees at once. */
export class ClientClosed extends Error {
  readonly code = 'GW_CLIENT_CLOSED'
  constructor () {
    super('the client closed the connection')
  }
}

/** One call in flight; `cancel()` aborts it (the client went away). */
export class UpstreamCall implements Dispatcher.DispatchHandler {
  readonly done: Promise<UpstreamResponse>
  #resolve!: (r: UpstreamResponse) => void
  #reject!: (e: UpstreamFailure) => void
  #controller: Dispatcher.DispatchController | null = null
  #cancelled = false
  #statusCode = 0
  #headers: Record<string, string | string[] | undefined> = {}
  #chunks: Buffer[] = []
  #length = 0
  #started = false
  readonly #deadline: number
  readonly #maxBytes: number

  constructor (pool: Dispatcher, req: UpstreamRequest) {
    this.#deadline = req.deadline
    this.#maxBytes = req.maxResponseBytes
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    const timeout = Math.max(1, Math.ceil(req.deadline - performance.now()))
    const b = req.body
    if (b instanceof ChunkedBody && b.joined === null) {
      // The chunks are written one by one (undici takes any iterable body at runtime,
      // lib/core/request.js; its DispatchOptions type names fewer). A new header list,
      // as `headers` is reused by a retry.
      const headers = [...req.headers, 'content-length', String(b.byteLength)]
      pool.dispatch({ path: req.path, method: req.method, headers, body: b.chunks as unknown as Readable, headersTimeout: timeout, bodyTimeout: timeout }, this)
    } else {
      const body = b instanceof ChunkedBody ? b.joined : b
      pool.dispatch({ path: req.path, method: req.method, headers: req.headers, body, headersTimeout: timeout, bodyTimeout: timeout }, this)
    }
  }

  cancel (): void {
    this.#cancelled = true
    if (this.#controller !== null && !this.#controller.aborted) this.#controller.abort(new ClientClosed())
  }


  onRequestStart (c: Dispatcher.DispatchController): void {
    this.#controller = c
    if (this.#cancelled) c.abort(new ClientClosed())
  }

  onResponseStart (_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.#started = true
    this.#statusCode = statusCode
    this.#headers = headers
  }

  onResponseData (c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#length += chunk.length
    if (this.#length > this.#maxBytes) {
      // A replica that answers without end must not take the gateway's memory with it.
      if (!c.aborted) c.abort(new ResponseTooLarge(this.#maxBytes))
      return
    }
    if (performance.now() > this.#deadline) {
      if (!c.aborted) c.abort(new DeadlinePassed())
      return
    }
    this.#chunks.push(chunk)
  }

  onResponseEnd (): void {
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#length)
    this.#resolve({ statusCode: this.#statusCode, headers: this.#headers, body })
  }

  onResponseError (_c: Dispatcher.DispatchController, err: Error): void {
    this.#reject(new UpstreamFailure(err, this.#started))
  }
}

/**
 * Failure codes of a gRPC call (proxy/grpc-call.ts), named like undici's for
 * the sets below: the channel had no connection (the call never left), the
 * connection dropped under the call, the deadline passed.
 */
export const GRPC_NOT_CONNECTED = 'GRPC_NOT_CONNECTED'
export const GRPC_DROPPED = 'GRPC_DROPPED'
export const GRPC_DEADLINE = 'GRPC_DEADLINE'

/** The connection never opened: no byte of the request reached the model. */
const NOT_SENT_ERRORS = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', GRPC_NOT_CONNECTED])
/** The connection dropped after it opened: the request may have reached the model. */
const DROPPED_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', GRPC_DROPPED])
const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', GRPC_DEADLINE])

/**
 * The retry policy. A request is sent again (to another replica) only when no
 * byte of it reached the model (the connection never opened), or when the model
 * is declared idempotent and the connection dropped before any response byte.
 * A non-idempotent model that may have received the request is not asked twice.
 * Timeouts are never retried: the model may still be working, and the deadline
 * is spent anyway.
 */
export function mayRetry (f: UpstreamFailure, idempotent: boolean): boolean {
  if (f.responseStarted) return false
  const code = errorCode(f.cause)
  return NOT_SENT_ERRORS.has(code) || (idempotent && DROPPED_ERRORS.has(code))
}

export function translateUpstreamError (f: UpstreamFailure, model: string, version: string, replica: string, timeoutMs: number): GatewayError {
  const code = errorCode(f.cause)
  const ctx = { model, version, replica }
  if (f.cause instanceof ClientClosed) return new GatewayError('GW_CLIENT_CLOSED', ctx, f.cause)
  if (TIMEOUT_ERRORS.has(code)) return new GatewayError('GW_UPSTREAM_TIMEOUT', { ...ctx, timeoutMs }, f.cause)
  if (NOT_SENT_ERRORS.has(code) || DROPPED_ERRORS.has(code)) return new GatewayError('GW_UPSTREAM_UNAVAILABLE', ctx, f.cause)
  if (f.cause instanceof ResponseTooLarge) return new GatewayError('GW_UPSTREAM_ERROR', { ...ctx, limit: f.cause.limit }, f.cause)
  return new GatewayError('GW_UPSTREAM_ERROR', ctx, f.cause)
}

function errorCode (err: Error): string {
  return (err as { code?: string }).code ?? ''
}
