/**
 * The admin API seen from the CLI (or any Node program): one method per route,
 * JSON in and out over undici. Every failure becomes an AdminClientError whose
 * message says what went wrong in the operator's terms: the admin API is
 * unreachable, the token is missing or wrong, or the server's own error.
 */
import { Agent, request, type Dispatcher } from 'undici'
import type { AuditAnswer, InstancesAnswer, ModelAnswer, ModelsAnswer, OperationAnswer, WriteAnswer } from '../admin/control-routes.js'
import type { ShadowAnswer, VerifyAnswer, VerifyRequest } from '../admin/release-routes.js'
import type { ReloadResult } from '../reload.js'

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8081'
export const ADMIN_REQUEST_TIMEOUT_MS = 10_000

export class AdminClientError extends Error {
  constructor (message: string, readonly status: number | null, readonly code: string | null) {
    super(message)
    this.name = 'AdminClientError'
  }
}

// The admin API's answers as the server types them (admin/): one definition,
// type-tested in test/unit/admin-view-types.test.ts.
export type { ModelView, ReplicaView, VersionView } from '../admin/model-view.js'
export type { InstanceView } from '../admin/control-routes.js'
export type ModelsResponse = ModelsAnswer
/** A model read or a write (writes add the operation id). */
export type ModelResponse = ModelAnswer | WriteAnswer
export type OperationResponse = OperationAnswer
export type AuditResponse = AuditAnswer
export type AuditEntryView = AuditAnswer['entries'][number]
export type InstancesResponse = InstancesAnswer
export type ReloadResponse = ReloadResult
export type VerifyRequestBody = VerifyRequest
export type VerifyResponse = VerifyAnswer
export type ShadowResponse = ShadowAnswer

export const VERIFY_TIMEOUT_MS = 300_000

export interface AdminClientOptions {
  url: string
  token: string | undefined
  timeoutMs?: number
  /** PEM CA bundle to trust for an https:// admin API with a private CA. */
  ca?: Buffer | undefined
}

export class AdminClient {
  readonly #base: string
  readonly #token: string | undefined
  readonly #timeoutMs: number
  readonly #dispatcher: Dispatcher | undefined

  constructor (opts: AdminClientOptions) {
    let u: URL
    try {
      u = new URL(opts.url)
    } catch {
      throw new AdminClientError(`admin URL "${opts.url}" is not a URL (expected e.g. ${DEFAULT_ADMIN_URL})`, null, null)
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AdminClientError(`admin URL "${opts.url}" must be http(s)`, null, null)
    this.#base = u.href.replace(/\/$/, '')
    this.#token = opts.token
    this.#timeoutMs = opts.timeoutMs ?? ADMIN_REQUEST_TIMEOUT_MS
    this.#dispatcher = opts.ca === undefined ? undefined : new Agent({ connect: { ca: opts.ca } })
  }

  models (): Promise<ModelsResponse> {
    return this.#call('GET', '/admin/models')
  }

  model (model: string): Promise<ModelResponse> {
    return this.#call('GET', `/admin/models/${enc(model)}`)
  }

  setSplit (model: string, weights: Record<string, number>, revision?: number, force?: boolean): Promise<ModelResponse> {
    return this.#call('PUT', `/admin/models/${enc(model)}/split`, withForce(withRevision({ weights }, revision), force))
  }

  canary (model: string, version: string, weight: number, revision?: number, force?: boolean): Promise<ModelResponse> {
    return this.#call('POST', `/admin/models/${enc(model)}/canary`, withForce(withRevision({ version, weight }, revision), force))
  }

  promote (model: string, version?: string, revision?: number, force?: boolean): Promise<ModelResponse> {
    return this.#call('POST', `/admin/models/${enc(model)}/promote`, withForce(withRevision(version === undefined ? {} : { version }, revision), force))
  }

  rollback (model: string, revision?: number): Promise<ModelResponse> {
    return this.#call('POST', `/admin/models/${enc(model)}/rollback`, withRevision({}, revision))
  }

  switch (model: string, version?: string, revision?: number, force?: boolean): Promise<ModelResponse> {
    return this.#call('POST', `/admin/models/${enc(model)}/switch`, withForce(withRevision(version === undefined ? {} : { version }, revision), force))
  }

  register (model: string, name: string, replicas: string[], revision?: number, upstream?: { model?: string, version?: string }): Promise<ModelResponse> {
    return this.#call('POST', `/admin/models/${enc(model)}/versions`, withRevision(upstream === undefined ? { name, replicas } : { name, replicas, upstream }, revision))
  }

  replicas (model: string, version: string, change: { add?: string[], remove?: string[] }, revision?: number): Promise<ModelResponse> {
    return this.#call('PATCH', `/admin/models/${enc(model)}/versions/${enc(version)}/replicas`, withRevision(change, revision))
  }

  reload (): Promise<ReloadResponse> {
    return this.#call('POST', '/admin/reload', {})
  }

  retire (model: string, version: string, revision?: number, force?: boolean): Promise<ModelResponse> {
    const q = [revision === undefined ? '' : `revision=${revision}`, force === true ? 'force=true' : ''].filter(x => x !== '').join('&')
    return this.#call('DELETE', `/admin/models/${enc(model)}/versions/${enc(version)}${q === '' ? '' : `?${q}`}`)
  }

  /** Sets a version's runtime sampling rate (0..1); null clears it so the config's rates apply. */
  setSampling (model: string, version: string, rate: number | null, revision?: number): Promise<ModelResponse> {
    return this.#call('PUT', `/admin/models/${enc(model)}/versions/${enc(version)}/sampling`, withRevision({ rate }, revision))
  }

  audit (limit?: number): Promise<AuditResponse> {
    return this.#call('GET', `/admin/audit${limit === undefined ? '' : `?limit=${limit}`}`)
  }

  /** Whether the write with this operation id applied. */
  operation (id: string): Promise<OperationResponse> {
    return this.#call('GET', `/admin/operations/${enc(id)}`)
  }

  instances (): Promise<InstancesResponse> {
    return this.#call('GET', '/admin/instances')
  }

  /** Runs on the gateway, which calls every replica: allowed up to VERIFY_TIMEOUT_MS. */
  verify (model: string, version: string, body: VerifyRequestBody): Promise<VerifyResponse> {
    return this.#call('POST', `/admin/models/${enc(model)}/versions/${enc(version)}/verify`, body, VERIFY_TIMEOUT_MS)
  }

  shadow (model: string, version: string, weight: number, revision?: number): Promise<ShadowResponse> {
    return this.#call('PUT', `/admin/models/${enc(model)}/shadow`, withRevision({ version, weight }, revision))
  }

  stopShadow (model: string): Promise<ShadowResponse> {
    return this.#call('DELETE', `/admin/models/${enc(model)}/shadow`)
  }

  /** Any admin route as JSON; feature commands (e.g. rollout) build on it. */
  call<T> (method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: object, timeoutMs?: number): Promise<T> {
    return this.#call(method, path, body, timeoutMs)
  }

  async #call<T> (method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: object, timeoutMs = this.#timeoutMs): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (this.#token !== undefined && this.#token !== '') headers.authorization = `Bearer ${this.#token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Awaited<ReturnType<typeof request>>
    try {
      res = await request(this.#base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        dispatcher: this.#dispatcher
      })
    } catch (err) {
      const e = err as Error & { code?: string }
      throw new AdminClientError(`cannot reach the admin API at ${this.#base}: ${e.code ?? e.message}`, null, null)
    }
    const text = await res.body.text()
    let json: unknown
    try {
      json = text === '' ? undefined : JSON.parse(text)
    } catch {
      throw new AdminClientError(`the admin API at ${this.#base} answered ${res.statusCode} with a body that is not JSON`, res.statusCode, null)
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return json as T
    // The one error shape (gateway/errors.ts): {"error": "<message>", "code": "GW_…"}.
    const answer = json as { error?: unknown, code?: unknown, currentRevision?: unknown } | undefined
    const message = typeof answer?.error === 'string' ? answer.error : undefined
    const code = typeof answer?.code === 'string' ? answer.code : null
    // Only a stale revision means someone else wrote meanwhile; other 409s (not verified, held back, busy) say why themselves.
    const hint = res.statusCode === 401
      ? ' (pass --token or set MODEL_GATEWAY_TOKEN)'
      : res.statusCode === 409 && code === 'GW_CONFLICT' && typeof answer?.currentRevision === 'number' ? ' (someone changed the routing state meanwhile; check "status" and retry)' : ''
    throw new AdminClientError(`${res.statusCode}${code === null ? '' : ` ${code}`}: ${message ?? text.slice(0, 200)}${hint}`, res.statusCode, code)
  }
}

function enc (s: string): string {
  return encodeURIComponent(s)
}

function withForce (body: Record<string, unknown>, force: boolean | undefined): Record<string, unknown> {
  return force === true ? { ...body, force: true } : body
}

function withRevision (body: Record<string, unknown>, revision: number | undefined): Record<string, unknown> {
  return revision === undefined ? body : { ...body, revision }
}
