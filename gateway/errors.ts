/**
 * The gateway's error catalogue: every error a client or operator can see has a
 * stable code, an HTTP status and a message that names what was wrong.
 * Response body shape: `{ "error": { "code": "GW_…", "message": "…", "model"?, "version"? } }`.
 */
export type ErrorCode =
  | 'GW_UNKNOWN_MODEL'
  | 'GW_UNKNOWN_VERSION'
  | 'GW_NOT_FOUND'
  | 'GW_METHOD_NOT_ALLOWED'
  | 'GW_MALFORMED_JSON'
  | 'GW_UNSUPPORTED_MEDIA_TYPE'
  | 'GW_BODY_TOO_LARGE'
  | 'GW_BAD_REQUEST'
  | 'GW_NO_HEALTHY_REPLICA'
  | 'GW_UPSTREAM_TIMEOUT'
  | 'GW_UPSTREAM_UNAVAILABLE'
  | 'GW_UPSTREAM_ERROR'
  | 'GW_SHUTTING_DOWN'
  | 'GW_UNAUTHORIZED'
  | 'GW_FORBIDDEN'
  | 'GW_CONFLICT'
  | 'GW_INVALID_ARGUMENT'
  | 'GW_STATE_UNAVAILABLE'
  | 'GW_INTERNAL'

export interface ErrorContext {
  model?: string
  version?: string
  replica?: string
}

export class GatewayError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly model: string | undefined
  readonly version: string | undefined
  readonly replica: string | undefined

  constructor (code: ErrorCode, statusCode: number, message: string, ctx: ErrorContext = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'GatewayError'
    this.code = code
    this.statusCode = statusCode
    this.model = ctx.model
    this.version = ctx.version
    this.replica = ctx.replica
  }

  /** The JSON body sent to clients. Replica URLs are internal and stay out of it. */
  toJSON (): { error: { code: ErrorCode, message: string, model?: string, version?: string } } {
    const error: { code: ErrorCode, message: string, model?: string, version?: string } = { code: this.code, message: this.message }
    if (this.model !== undefined) error.model = this.model
    if (this.version !== undefined) error.version = this.version
    return { error }
  }
}

export const errors = {
  unknownModel: (model: string) =>
    new GatewayError('GW_UNKNOWN_MODEL', 404, `model "${model}" is not served by this gateway`, { model }),
  unknownVersion: (model: string, version: string) =>
    new GatewayError('GW_UNKNOWN_VERSION', 404, `model "${model}" has no version "${version}"`, { model, version }),
  notFound: (method: string, url: string) =>
    new GatewayError('GW_NOT_FOUND', 404, `no route for ${method} ${truncate(url, 200)}`),
  methodNotAllowed: (method: string, url: string, allowed: string) =>
    new GatewayError('GW_METHOD_NOT_ALLOWED', 405, `method ${method} is not allowed on ${truncate(url, 200)}; use ${allowed}`),
  malformedJson: (model: string, detail: string) =>
    new GatewayError('GW_MALFORMED_JSON', 400, `request body for model "${model}" is not valid JSON: ${detail}`, { model }),
  unsupportedMediaType: (contentType: string) =>
    new GatewayError('GW_UNSUPPORTED_MEDIA_TYPE', 415, `content-type "${truncate(contentType, 100)}" is not supported; send application/json`),
  bodyTooLarge: (limit: number, model?: string) =>
    new GatewayError('GW_BODY_TOO_LARGE', 413, `request body is larger than the limit of ${limit} bytes${model === undefined ? '' : ` for model "${model}"`}`, model === undefined ? {} : { model }),
  badRequest: (message: string) =>
    new GatewayError('GW_BAD_REQUEST', 400, message),
  noHealthyReplica: (model: string, version: string) =>
    new GatewayError('GW_NO_HEALTHY_REPLICA', 503, `version "${version}" of model "${model}" has no healthy replica`, { model, version }),
  upstreamTimeout: (model: string, version: string, replica: string, timeoutMs: number, cause?: unknown) =>
    new GatewayError('GW_UPSTREAM_TIMEOUT', 504, `version "${version}" of model "${model}" did not answer within ${timeoutMs} ms`, { model, version, replica }, cause),
  upstreamUnavailable: (model: string, version: string, replica: string, cause?: unknown) =>
    new GatewayError('GW_UPSTREAM_UNAVAILABLE', 502, `version "${version}" of model "${model}" refused or dropped the connection`, { model, version, replica }, cause),
  upstreamError: (model: string, version: string, replica: string, cause?: unknown) =>
    new GatewayError('GW_UPSTREAM_ERROR', 502, `version "${version}" of model "${model}" sent an invalid response`, { model, version, replica }, cause),
  upstreamTooLarge: (model: string, version: string, replica: string, limit: number) =>
    new GatewayError('GW_UPSTREAM_ERROR', 502, `version "${version}" of model "${model}" sent a response larger than ${limit} bytes`, { model, version, replica }),
  shuttingDown: () =>
    new GatewayError('GW_SHUTTING_DOWN', 503, 'the gateway is shutting down; retry on another instance'),
  internal: (cause?: unknown) =>
    new GatewayError('GW_INTERNAL', 500, 'internal gateway error', {}, cause)
}

function truncate (s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`
}
