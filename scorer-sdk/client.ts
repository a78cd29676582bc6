import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import { ScorerConnectionError, ScorerError, ScorerTimeoutError, errorFromResponse } from './errors.js'
import type { InferenceResponse, RequestTensor, Tensor } from './types.js'

export const DEFAULT_TIMEOUT_MS = 10_000
export const DEFAULT_RETRIES = 2
export const DEFAULT_BACKOFF_MS = 50
export const DEFAULT_MAX_RETRY_DELAY_MS = 5_000
export const DEFAULT_STICKY_HEADER = 'x-user-id'
export const DEFAULT_CONNECTIONS = 32
export const DEFAULT_KEEP_ALIVE_MS = 60_000

export interface ScorerClientOptions {
  /** Gateway or model server, e.g. `http://127.0.0.1:8080`; a path prefix is kept. */
  baseUrl: string
  model: string
  /** Per attempt, until the whole response body has arrived. */
  timeoutMs?: number
  /** Extra attempts after a 503 or a connection failure before any response. */
  retries?: number
  /** First backoff; doubles per attempt, with jitter. */
  backoffMs?: number
  /** Cap on backoff; a Retry-After longer than this is not waited for (the 503 is thrown). */
  maxRetryDelayMs?: number
  /** Default sticky key (e.g. a user id) sent in `stickyHeader`. */
  stickyKey?: string
  stickyHeader?: string
  /** Sent with every request. */
  headers?: Record<string, string>
  /** Keep-alive connections in the pool. */
  connections?: number
}

export interface InferOptions {
  stickyKey?: string
  /** Ask for one version explicitly (`/versions/{version}/infer`). */
  version?: string
  /** Sent as `x-request-id` and as the request `id`; generated when absent. */
  requestId?: string
}

/** What a request turned out to be: the ground truth (`label`) or a business result (`value`), and when. */
export interface Outcome {
  label?: number | boolean
  value?: number
  /** When it happened: a Date, epoch milliseconds or an ISO 8601 string (default: when the gateway receives it). */
  at?: Date | number | string
}

export interface InferResult {
  outputs: Tensor[]
  /** From the `x-model-version` response header, else the body's `model_version`. */
  version: string | undefined
  requestId: string
  status: number
}

// Failures where the request never got a response; safe to try again.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED'
])

function errorCode (err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null
  if (typeof e?.code === 'string' && e.code !== 'UND_ERR_ABORTED') return e.code
  return typeof e?.cause?.code === 'string' ? e.cause.code : undefined
}

/** Retry-After in ms: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3). */
export function parseRetryAfter (value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value
  if (v === undefined || v === '') return undefined
  if (/^\d+$/.test(v)) return Number(v) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

type Attempt =
  | { kind: 'response'; status: number; headers: Record<string, string | string[] | undefined>; text: string }
  | { kind: 'connection-error'; error: unknown }

/** OIP v2 client for applications, over one keep-alive undici Pool. */
export class ScorerClient {
  readonly #pool: Pool
  readonly #prefix: string
  readonly #model: string
  readonly #timeoutMs: number
  readonly #retries: number
  readonly #backoffMs: number
  readonly #maxRetryDelayMs: number
  readonly #stickyKey: string | undefined
  readonly #stickyHeader: string
  readonly #headers: Record<string, string>
  readonly #inferPath: string
  readonly #outcomesPath: string

  constructor (options: ScorerClientOptions) {
    const {
      baseUrl, model, timeoutMs = DEFAULT_TIMEOUT_MS, retries = DEFAULT_RETRIES, backoffMs = DEFAULT_BACKOFF_MS,
      maxRetryDelayMs = DEFAULT_MAX_RETRY_DELAY_MS, stickyKey, stickyHeader = DEFAULT_STICKY_HEADER,
      headers = {}, connections = DEFAULT_CONNECTIONS
    } = options
    let url: URL
    try {
      url = new URL(baseUrl)
    } catch {
      throw new TypeError(`ScorerClient: baseUrl must be an absolute http(s) URL, got ${JSON.stringify(baseUrl)}`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`ScorerClient: baseUrl must be http or https, got ${url.protocol}`)
    if (typeof model !== 'string' || model === '') throw new TypeError('ScorerClient: model must be a non-empty string')
    if (!(timeoutMs > 0)) throw new TypeError('ScorerClient: timeoutMs must be > 0')
    if (!Number.isInteger(retries) || retries < 0) throw new TypeError('ScorerClient: retries must be an integer >= 0')
    if (!(backoffMs >= 0)) throw new TypeError('ScorerClient: backoffMs must be >= 0')

    this.#pool = new Pool(url.origin, { connections, keepAliveTimeout: DEFAULT_KEEP_ALIVE_MS, pipelining: 1 })
    this.#prefix = url.pathname.replace(/\/+$/, '')
    this.#model = model
    this.#timeoutMs = timeoutMs
    this.#retries = retries
    this.#backoffMs = backoffMs
    this.#maxRetryDelayMs = maxRetryDelayMs
    this.#stickyKey = stickyKey
    this.#stickyHeader = stickyHeader.toLowerCase()
    this.#headers = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
    this.#inferPath = `${this.#prefix}/v2/models/${encodeURIComponent(model)}/infer`
    this.#outcomesPath = `${this.#prefix}/v2/models/${encodeURIComponent(model)}/outcomes`
  }

  async infer (inputs: readonly RequestTensor[], options: InferOptions = {}): Promise<InferResult> {
    const requestId = options.requestId ?? randomUUID()
    const path = options.version === undefined
      ? this.#inferPath
      : `${this.#prefix}/v2/models/${encodeURIComponent(this.#model)}/versions/${encodeURIComponent(options.version)}/infer`
    const headers: Record<string, string> = { ...this.#headers, 'content-type': 'application/json', 'x-request-id': requestId }
    const stickyKey = options.stickyKey ?? this.#stickyKey
    if (stickyKey !== undefined) headers[this.#stickyHeader] = stickyKey
    const { status, headers: resHeaders, text, requestId: echoed } = await this.#send(path, headers, JSON.stringify({ id: requestId, inputs }), requestId)
    let parsed: InferenceResponse
    try {
      parsed = JSON.parse(text) as InferenceResponse
    } catch (err) {
      throw new ScorerError('response body is not JSON', { status, code: 'BAD_RESPONSE', requestId: echoed, body: text, cause: err })
    }
    if (!Array.isArray(parsed?.outputs)) {
      throw new ScorerError("response has no 'outputs' array", { status, code: 'BAD_RESPONSE', requestId: echoed, body: parsed })
    }
    const headerVersion = resHeaders['x-model-version']
    return {
      outputs: parsed.outputs,
      version: typeof headerVersion === 'string' ? headerVersion : parsed.model_version,
      requestId: echoed,
      status
    }
  }

  /**
   * Reports what a scored request turned out to be, by its request id (the
   * `requestId` of infer's result): a business value (a number: revenue, 1 for
   * a conversion), or `{ label }` — the ground truth — and optionally when it
   * happened (`at`, default now). Resolves once the gateway has queued it
   * durably; a 503 (queue unavailable) is retried like infer's. Reporting the
   * same request again is harmless: the latest `at` wins.
   */
  async reportOutcome (requestId: string, outcome: number | Outcome): Promise<{ accepted: number }> {
    return await this.reportOutcomes([{ ...(typeof outcome === 'number' ? { value: outcome } : outcome), requestId }])
  }

  /** Several outcomes in one request (at most the gateway's outcomes.maxItems). */
  async reportOutcomes (outcomes: ReadonlyArray<Outcome & { requestId: string }>): Promise<{ accepted: number }> {
    const items = outcomes.map(o => {
      if (typeof o.requestId !== 'string' || o.requestId === '') throw new TypeError('reportOutcome: requestId must be the request id of a scored request')
      if ((o.label === undefined) === (o.value === undefined)) throw new TypeError('reportOutcome: give a label or a value (not both)')
      const item: Record<string, unknown> = { id: o.requestId }
      if (o.label !== undefined) item.label = o.label
      if (o.value !== undefined) item.value = o.value
      if (o.at !== undefined) item.at = o.at instanceof Date ? o.at.toISOString() : o.at
      return item
    })
    const id = randomUUID()
    const { text, status, requestId } = await this.#send(this.#outcomesPath, { ...this.#headers, 'content-type': 'application/json', 'x-request-id': id }, JSON.stringify(items), id)
    try {
      return { accepted: (JSON.parse(text) as { accepted: number }).accepted }
    } catch (err) {
      throw new ScorerError('outcome answer is not JSON', { status, code: 'BAD_RESPONSE', requestId, body: text, cause: err })
    }
  }

  /** One POST with the retry policy: connection failures before a response and 503s are retried; other non-2xx throw. */
  async #send (path: string, headers: Record<string, string>, body: string, requestId: string): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, text: string, requestId: string }> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.#attempt(path, headers, body, requestId)
      const canRetry = attempt < this.#retries
      if (result.kind === 'connection-error') {
        if (canRetry) {
          await sleep(this.#backoff(attempt))
          continue
        }
        throw new ScorerConnectionError(`connection failed: ${(result.error as Error).message}`, requestId, result.error)
      }
      const { status, headers: resHeaders, text } = result
      const echoed = typeof resHeaders['x-request-id'] === 'string' ? resHeaders['x-request-id'] : requestId
      if (status === 503 && canRetry) {
        const retryAfter = parseRetryAfter(resHeaders['retry-after'])
        if (retryAfter === undefined || retryAfter <= this.#maxRetryDelayMs) {
          await sleep(retryAfter ?? this.#backoff(attempt))
          continue
        }
      }
      if (status < 200 || status >= 300) throw errorFromResponse(status, text, echoed)
      return { status, headers: resHeaders, text, requestId: echoed }
    }
  }

  async close (): Promise<void> {
    await this.#pool.close()
  }

  /** Exponential backoff with equal jitter: half fixed, half random. */
  #backoff (attempt: number): number {
    const ceiling = Math.min(this.#maxRetryDelayMs, this.#backoffMs * 2 ** attempt)
    return ceiling / 2 + Math.random() * (ceiling / 2)
  }

  async #attempt (path: string, headers: Record<string, string>, body: string, requestId: string): Promise<Attempt> {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs)
    try {
      let response
      try {
        response = await this.#pool.request({ path, method: 'POST', headers, body, signal: controller.signal })
      } catch (err) {
        if (controller.signal.aborted) throw new ScorerTimeoutError(this.#timeoutMs, requestId, err)
        const code = errorCode(err)
        if (code !== undefined && CONNECTION_CODES.has(code)) return { kind: 'connection-error', error: err }
        throw new ScorerConnectionError(`request failed: ${(err as Error).message}`, requestId, err)
      }
      // A failure while reading the body came after a response started: not retried.
      try {
        const text = await response.body.text()
        return { kind: 'response', status: response.statusCode, headers: response.headers, text }
      } catch (err) {
        if (controller.signal.aborted) throw new ScorerTimeoutError(this.#timeoutMs, requestId, err)
        throw new ScorerConnectionError(`response broken off: ${(err as Error).message}`, requestId, err)
      }
    } finally {
      clearTimeout(timer)
    }
  }
}
