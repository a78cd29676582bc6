/**
 * One call to a replica, on undici's dispatch API: the response body is small and
 * collected into one Buffer, which skips the Readable that `request()` builds for
 * every response. Transport errors are translated into gateway errors in one
 * place (translateUpstreamError), keeping the undici error as `cause`.
 */
import type { Dispatcher } from 'undici'
import { errors, type GatewayError } from '../errors.js'

export interface UpstreamResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

export interface UpstreamRequest {
  path: string
  method: 'GET' | 'POST'
  headers: string[]
  body: Buffer | null
  timeoutMs: number
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

class CollectHandler implements Dispatcher.DispatchHandler {
  statusCode = 0
  headers: Record<string, string | string[] | undefined> = {}
  chunks: Buffer[] = []
  length = 0
  started = false
  constructor (readonly resolve: (r: UpstreamResponse) => void, readonly reject: (e: UpstreamFailure) => void, readonly maxBytes: number) {}

  onRequestStart (): void {}

  onResponseStart (_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.started = true
    this.statusCode = statusCode
    this.headers = headers
  }

  onResponseData (c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.length += chunk.length
    if (this.length > this.maxBytes) {
      // A replica that answers without end must not take the gateway's memory with it.
      if (!c.aborted) c.abort(new ResponseTooLarge(this.maxBytes))
      return
    }
    this.chunks.push(chunk)
  }

  onResponseEnd (): void {
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length)
    this.resolve({ statusCode: this.statusCode, headers: this.headers, body })
  }

  onResponseError (_c: Dispatcher.DispatchController, err: Error): void {
    this.reject(new UpstreamFailure(err, this.started))
  }
}

export function callUpstream (pool: Dispatcher, req: UpstreamRequest): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    pool.dispatch({
      path: req.path,
      method: req.method,
      headers: req.headers,
      body: req.body,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs
    }, new CollectHandler(resolve, reject, req.maxResponseBytes))
  })
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'])
const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/**
 * True when the request can be sent again to another replica: the connection
 * failed or dropped before any response byte, so the model produced no answer
 * this client has seen. Timeouts are not retried: the model may still be working.
 */
export function isRetryable (f: UpstreamFailure): boolean {
  return !f.responseStarted && CONNECT_ERRORS.has(errorCode(f.cause))
}

export function isTimeout (f: UpstreamFailure): boolean {
  return TIMEOUT_ERRORS.has(errorCode(f.cause))
}

export function translateUpstreamError (f: UpstreamFailure, model: string, version: string, replica: string, timeoutMs: number): GatewayError {
  const code = errorCode(f.cause)
  if (TIMEOUT_ERRORS.has(code)) return errors.upstreamTimeout(model, version, replica, timeoutMs, f.cause)
  if (CONNECT_ERRORS.has(code)) return errors.upstreamUnavailable(model, version, replica, f.cause)
  if (f.cause instanceof ResponseTooLarge) return errors.upstreamTooLarge(model, version, replica, f.cause.limit)
  return errors.upstreamError(model, version, replica, f.cause)
}

function errorCode (err: Error): string {
  return (err as { code?: string }).code ?? ''
}
