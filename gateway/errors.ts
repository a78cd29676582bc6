/**
 * The gateway's one error catalogue: code -> HTTP status -> message. The data
 * plane, the admin API, the health routes and the CLI all build their errors
 * here, so a code always has one status and one wording.
 *
 * Body shape (Open Inference Protocol, "Errors"): `{"error": "<message>"}` with a
 * string, which standard OIP clients read; the machine-readable parts sit beside
 * it: `{"error": "…", "code": "GW_…", "model"?: …, "version"?: …}`.
 */

/** The facts a message may name. */
export interface ErrorParams {
  model?: string
  version?: string
  /** Replica base URL: logged, never sent to clients. */
  replica?: string
  /** Free text for codes whose cause varies (invalid argument, conflict, bad request). */
  detail?: string
  limit?: number
  method?: string
  url?: string
  allowed?: string
  timeoutMs?: number
  /** GW_INVALID_OUTCOME: the index of the bad item in the body and the field that is wrong. */
  item?: number
  field?: string
  /** The revision the routing state is at, when a write named a stale one (sent as currentRevision). */
  currentRevision?: number
  /** Id of an admin write (sent back so the caller can look its outcome up). */
  operationId?: string
  /** A data-plane application (access control). */
  application?: string
  /** Whole seconds a client should wait before it tries again (429). */
  retryAfterS?: number
}

interface Entry {
  readonly status: number
  readonly message: (p: ErrorParams) => string
  /** Response headers that go with the error, as a flat [name, value, …] list. */
  readonly headers?: (p: ErrorParams) => string[]
}

const q = (s: string | undefined, max = 200): string => JSON.stringify(truncate(s ?? '', max))
const ofModel = (p: ErrorParams): string => `version ${q(p.version)} of model ${q(p.model)}`

export const CATALOGUE = {
  GW_UNKNOWN_MODEL: { status: 404, message: p => `model ${q(p.model)} is not served by this gateway` },
  GW_UNKNOWN_VERSION: { status: 404, message: p => `model ${q(p.model)} has no version ${q(p.version)}${p.detail === undefined ? '' : ` (${p.detail})`}` },
  GW_NOT_FOUND: { status: 404, message: p => `no route for ${p.method ?? ''} ${truncate(p.url ?? '', 200)}` },
  GW_UNKNOWN_APPLICATION: { status: 404, message: p => `application ${q(p.application)} is not registered${p.detail === undefined ? '' : ` (${p.detail})`}` },
  GW_NO_ROLLOUT: { status: 404, message: p => `model ${q(p.model)} has had no rollout` },
  GW_OUTCOMES_NOT_ENABLED: { status: 404, message: p => `model ${q(p.model)} does not collect outcomes (its config has no outcomes section)` },
  GW_UNKNOWN_TEMPLATE: { status: 404, message: p => `no rollout plan template ${q(p.detail)}` },
  GW_METHOD_NOT_ALLOWED: { status: 405, message: p => `method ${p.method ?? ''} is not allowed on ${truncate(p.url ?? '', 200)}; use ${p.allowed ?? ''}` },
  GW_MALFORMED_JSON: { status: 400, message: p => `request body for model ${q(p.model)} is not valid JSON: ${p.detail ?? ''}` },
  GW_MALFORMED_BINARY: { status: 400, message: p => `request for model ${q(p.model)} uses the binary tensor extension wrongly: ${p.detail ?? ''}` },
  GW_MALFORMED_PROTOBUF: { status: 400, message: p => `request${p.model === undefined ? '' : ` for model ${q(p.model)}`} is not a valid ${p.detail ?? 'protobuf message'}` },
  GW_BAD_REQUEST: { status: 400, message: p => p.detail ?? 'bad request' },
  GW_INVALID_ARGUMENT: { status: 400, message: p => p.detail ?? 'invalid argument' },
  GW_INVALID_OUTCOME: { status: 400, message: p => `outcome ${p.item ?? 0}${p.field === undefined ? '' : `, field ${q(p.field, 40)}`}: ${p.detail ?? 'invalid'}; nothing was accepted` },
  GW_UNAUTHORIZED: {
    status: 401,
    message: p => p.detail ?? 'missing or invalid bearer token (send "authorization: Bearer <token>")',
    // RFC 6750 section 3: a 401 names the scheme it expects.
    headers: () => ['www-authenticate', 'Bearer realm="model-gateway"']
  },
  GW_FORBIDDEN: { status: 403, message: p => p.detail ?? 'this needs role "admin"' },
  GW_POLICY_VIOLATION: { status: 403, message: p => `the rollout plan for model ${q(p.model)} breaks its rollout policies: ${p.detail ?? ''}` },
  GW_CONFLICT: { status: 409, message: p => p.detail ?? 'conflict' },
  GW_NOT_VERIFIED: { status: 409, message: p => `${ofModel(p)} may not receive traffic: ${p.detail ?? 'it has no passed verification'}; run "npx model-gateway verify ${p.model ?? ''} ${p.version ?? ''} --golden FILE", or pass --force` },
  GW_BODY_TOO_LARGE: { status: 413, message: p => `request body is larger than the limit of ${p.limit ?? 0} bytes${p.model === undefined ? '' : ` for model ${q(p.model)}`}${p.detail === undefined ? '' : ` ${p.detail}`}` },
  GW_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: p => `content-type ${q(p.detail, 100)} is not supported; send application/json` },
  GW_UNSUPPORTED_ENCODING: { status: 415, message: p => `content-encoding ${q(p.detail, 100)} is not supported; send gzip, deflate or identity` },
  GW_RATE_LIMITED: {
    status: 429,
    message: p => `${p.detail ?? 'over the quota'} for model ${q(p.model)}; retry after ${p.retryAfterS ?? 1} s`,
    // RFC 9110 section 10.2.3: delay-seconds.
    headers: p => ['retry-after', String(p.retryAfterS ?? 1)]
  },
  GW_HEADERS_TOO_LARGE: { status: 431, message: () => 'request headers are larger than the limit' },
  GW_CLIENT_CLOSED: { status: 499, message: () => 'the client closed the connection before the answer' },
  GW_INTERNAL: { status: 500, message: () => 'internal gateway error' },
  GW_NOT_IMPLEMENTED: { status: 501, message: p => `${p.method ?? 'this method'} is not implemented by this gateway${p.detail === undefined ? '' : `; ${p.detail}`}` },
  GW_UPSTREAM_UNAVAILABLE: { status: 502, message: p => `${ofModel(p)} refused or dropped the connection` },
  GW_UPSTREAM_ERROR: { status: 502, message: p => `${ofModel(p)} sent ${p.limit === undefined ? 'an invalid response' : `a response larger than ${p.limit} bytes`}` },
  GW_NO_HEALTHY_REPLICA: { status: 503, message: p => `${ofModel(p)} has no healthy replica${p.detail === undefined ? '' : ` ${p.detail}`}` },
  GW_REPLICA_BUSY: { status: 503, message: p => `every replica of ${ofModel(p)} is at its connection limit; no slot freed within ${p.timeoutMs ?? 0} ms` },
  GW_OVERLOADED: { status: 503, message: p => `the gateway is overloaded (${p.detail ?? ''}); retry after ${p.limit ?? 1} s` },
  GW_CONFIG_INVALID: { status: 400, message: p => `config not reloaded, the running config stays: ${p.detail ?? ''}` },
  GW_STATE_UNAVAILABLE: { status: 503, message: p => `the shared routing state is unavailable (${p.detail ?? ''}); the gateway keeps serving with the state it has, changes are refused until it is back` },
  GW_OUTCOMES_UNAVAILABLE: { status: 503, message: p => `outcomes not accepted: ${p.detail ?? 'the outcome queue is unavailable'}; send them again (an outcome stored twice counts once)` },
  GW_WRITE_OUTCOME_UNKNOWN: { status: 503, message: p => `the change (operation ${p.operationId ?? ''}) was sent to the shared routing state, but whether it applied could not be read back (${p.detail ?? ''}); it cannot apply later than its deadline: GET /admin/operations/${p.operationId ?? ''} or the audit log says whether it did` },
  GW_UPSTREAM_TIMEOUT: { status: 504, message: p => `${ofModel(p)} did not answer within ${p.timeoutMs ?? 0} ms (the request's deadline, retries included)` }
} as const satisfies Record<string, Entry>

export type ErrorCode = keyof typeof CATALOGUE

export interface ErrorBody {
  error: string
  code: ErrorCode
  model?: string
  version?: string
  item?: number
  field?: string
  operationId?: string
  /** Only on a stale-revision conflict: the revision to re-read and retry from. */
  currentRevision?: number
}

export class GatewayError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly model: string | undefined
  readonly version: string | undefined
  readonly replica: string | undefined
  readonly item: number | undefined
  readonly field: string | undefined
  readonly currentRevision: number | undefined
  /** Set by the state store on every error of a write, so the caller can look the write up. */
  operationId: string | undefined
  /** Headers the answer carries besides the body (retry-after, www-authenticate); undefined when none. */
  readonly headers: string[] | undefined

  constructor (code: ErrorCode, params: ErrorParams = {}, cause?: unknown) {
    const entry: Entry = CATALOGUE[code]
    super(entry.message(params), cause === undefined ? undefined : { cause })
    this.name = 'GatewayError'
    this.code = code
    this.statusCode = entry.status
    this.model = params.model
    this.version = params.version
    this.replica = params.replica
    this.item = params.item
    this.field = params.field
    this.currentRevision = params.currentRevision
    this.operationId = params.operationId
    this.headers = entry.headers?.(params)
  }

  /** The JSON body sent to clients. Replica URLs are internal and stay out of it. */
  toJSON (): ErrorBody {
    const body: ErrorBody = { error: this.message, code: this.code }
    if (this.model !== undefined) body.model = this.model
    if (this.version !== undefined) body.version = this.version
    if (this.item !== undefined) body.item = this.item
    if (this.field !== undefined) body.field = this.field
    if (this.currentRevision !== undefined) body.currentRevision = this.currentRevision
    if (this.operationId !== undefined) body.operationId = this.operationId
    return body
  }
}

/** Shorthands for the errors raised in more than one place. */
export const errors = {
  unknownModel: (model: string) => new GatewayError('GW_UNKNOWN_MODEL', { model }),
  unknownVersion: (model: string, version: string, known?: readonly string[]) =>
    new GatewayError('GW_UNKNOWN_VERSION', { model, version, detail: known === undefined ? undefined : `have: ${known.join(', ')}` }),
  invalid: (detail: string, ctx: { model?: string, version?: string } = {}) => new GatewayError('GW_INVALID_ARGUMENT', { ...ctx, detail }),
  conflict: (detail: string, ctx: { model?: string, version?: string } = {}) => new GatewayError('GW_CONFLICT', { ...ctx, detail }),
  staleRevision: (expected: number, actual: number) =>
    new GatewayError('GW_CONFLICT', { detail: `revision ${expected} is stale: the routing state is at revision ${actual}; re-read it and retry`, currentRevision: actual }),
  stateUnavailable: (what: string, cause?: unknown, operationId?: string) => new GatewayError('GW_STATE_UNAVAILABLE', { detail: what, operationId }, cause),
  outcomeUnknown: (operationId: string, detail: string) => new GatewayError('GW_WRITE_OUTCOME_UNKNOWN', { operationId, detail }),
  bodyTooLarge: (limit: number, model?: string, detail?: string) => new GatewayError('GW_BODY_TOO_LARGE', { limit, model, detail }),
  badRequest: (detail: string) => new GatewayError('GW_BAD_REQUEST', { detail }),
  internal: (cause?: unknown) => new GatewayError('GW_INTERNAL', {}, cause)
}

/**
 * The error for a request node's HTTP parser refused before any handler ran
 * (headers over the limit, a malformed request line), as raw HTTP/1.1 text to
 * end the socket with, so those answers have the one shape too.
 */
export function parserErrorResponse (parserCode: string | undefined, requestId: string): string {
  const e = parserCode === 'HPE_HEADER_OVERFLOW'
    ? new GatewayError('GW_HEADERS_TOO_LARGE')
    : new GatewayError('GW_BAD_REQUEST', { detail: `the request could not be parsed (${parserCode ?? 'parse error'})` })
  const body = JSON.stringify(e.toJSON())
  return `HTTP/1.1 ${e.statusCode} ${e.statusCode === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
    `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`
}

function truncate (s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`
}
