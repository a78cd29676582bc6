/** Codes set by the client itself (the others come from the response body). */
export const ERROR_CODES = {
  timeout: 'SCORER_TIMEOUT',
  connection: 'SCORER_CONNECTION',
  oip: 'OIP_ERROR'
} as const

export interface ScorerErrorOptions {
  status: number
  code: string
  requestId?: string | undefined
  /** Response body, parsed as JSON when it is JSON. */
  body?: unknown
  cause?: unknown
}

/**
 * A failed inference call. `status` is the HTTP status, or 0 when no response
 * arrived (timeout, connection failure). The message is the OIP body's
 * `{"error": "<message>"}`; `code` is the gateway's `"code": "GW_…"` beside it,
 * `OIP_ERROR` for an OIP error body without one, `HTTP_<status>` otherwise.
 */
export class ScorerError extends Error {
  override readonly name: string = 'ScorerError'
  readonly status: number
  readonly code: string
  readonly requestId: string | undefined
  readonly body: unknown

  constructor (message: string, options: ScorerErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.status = options.status
    this.code = options.code
    this.requestId = options.requestId
    this.body = options.body
  }
}

/** No complete response within `timeoutMs`. Not retried: the model may have scored it. */
export class ScorerTimeoutError extends ScorerError {
  override readonly name: string = 'ScorerTimeoutError'
  readonly timeoutMs: number

  constructor (timeoutMs: number, requestId: string | undefined, cause?: unknown) {
    super(`no response within ${timeoutMs} ms`, { status: 0, code: ERROR_CODES.timeout, requestId, cause })
    this.timeoutMs = timeoutMs
  }
}

/** The connection failed (refused, reset, closed) and retries, if any, ran out. */
export class ScorerConnectionError extends ScorerError {
  override readonly name: string = 'ScorerConnectionError'

  constructor (message: string, requestId: string | undefined, cause: unknown) {
    super(message, { status: 0, code: ERROR_CODES.connection, requestId, cause })
  }
}

/** Builds the error for a non-2xx response from its status and body text. */
export function errorFromResponse (status: number, text: string, requestId: string | undefined): ScorerError {
  let code = `HTTP_${status}`
  let message = text.length > 0 ? text.slice(0, 500) : `HTTP ${status}`
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const { error, code: c } = body as { error: unknown; code?: unknown }
    if (typeof error === 'string') {
      message = error
      code = typeof c === 'string' ? c : ERROR_CODES.oip
    }
  }
  return new ScorerError(message, { status, code, requestId, body })
}
