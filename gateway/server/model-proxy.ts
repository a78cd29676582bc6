/**
 * The request path of the data plane: choose a version, choose a replica, call
 * it, answer, report. It works on the raw node:http request and response,
 * which saves fastify's per-request pipeline (10–20 µs of CPU per request,
 * measured); see data-plane.ts for how the two are joined.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { REQUEST_ID_HEADER, VERSION_HEADER, FALLBACK_HEADER } from '../config/defaults.js'
import { errors, GatewayError } from '../errors.js'
import type { Router } from '../proxy/router.js'
import type { Model as ModelRoute, Version as VersionRoute } from '../proxy/router.js'
import { selectVersion } from '../routing/select-version.js'
import { pickReplica } from '../routing/pick-replica.js'
import { callUpstream, isRetryable, translateUpstreamError, UpstreamFailure, type UpstreamResponse } from '../proxy/upstream.js'
import type { Replica } from '../proxy/replica.js'
import type { RequestObserver, RequestOutcome } from '../observe/outcome.js'
import type { ReplicaFeedback } from '../health/feedback.js'
import { ThrottledLog } from '../observe/throttled-log.js'
import { jsonSyntaxError } from '../proxy/json-check.js'
import { stickyKeyOf, forwardHeaders, responseHeaders } from '../proxy/headers.js'

export interface Lifecycle {
  /** Set first on shutdown, so readiness fails before the listener closes. */
  draining: boolean
  /**
   * Set once the listener has stopped accepting (after the drain delay): answers
   * carry `connection: close`, so clients stop reusing connections that are about
   * to be closed. Not during the drain delay, where reconnecting clients would
   * only pile into the backlog of a listener that is about to close.
   */
  closing: boolean
}

export interface ModelProxyDeps {
  router: Router
  observer: RequestObserver
  feedback: ReplicaFeedback
  logger: Logger
  lifecycle: Lifecycle
  /** Reject bodies that are not JSON before they reach a model. */
  validateJson: boolean
}

const MAX_REQUEST_ID_LENGTH = 128
const JSON_CONTENT_TYPE = 'application/json'

export class ModelProxy {
  readonly #d: ModelProxyDeps
  /** Per-request warnings (failover, upstream errors) are logged at most every 10 s per kind, with a count. */
  readonly #throttle = new ThrottledLog()

  constructor (deps: ModelProxyDeps) {
    this.#d = deps
  }

  /**
   * Answers one request for a model. `body` is the buffered request body for
   * inference (null for metadata GETs, which are forwarded to the chosen version).
   */
  async handle (req: IncomingMessage, res: ServerResponse, modelName: string, explicitVersion: string | undefined, body: Buffer | null): Promise<void> {
    const d = this.#d
    const start = performance.now()
    const requestId = requestIdOf(req)

    const model = d.router.snapshot.models.get(modelName)
    if (model === undefined) {
      this.reject(res, errors.unknownModel(modelName), modelName, requestId, start, false)
      return
    }
    const cfg = model.cfg
    const stickyKey = stickyKeyOf(req.headers, cfg.stickyHeader, cfg.stickyCookie)
    const outcome: RequestOutcome = {
      requestId,
      model: modelName,
      version: null,
      replica: null,
      release: model.release,
      status: 0,
      errorCode: null,
      startedAt: Date.now(),
      totalMs: 0,
      upstreamMs: 0,
      fallback: false,
      fallbackFrom: null,
      stickyKey,
      requestBody: body,
      responseBody: null
    }

    try {
      if (body !== null) {
        if (body.length > cfg.bodyLimitBytes) throw errors.bodyTooLarge(cfg.bodyLimitBytes, modelName)
        if (d.validateJson && isJson(req.headers['content-type'])) {
          const at = jsonSyntaxError(body)
          if (at !== -1) throw errors.malformedJson(modelName, body.length === 0 ? 'the body is empty' : describeJsonError(body, at))
        }
      }
      if (explicitVersion === undefined && cfg.allowVersionHeader) {
        const h = req.headers[VERSION_HEADER]
        if (typeof h === 'string' && h !== '') explicitVersion = h
      }
      let version = selectVersion(model, stickyKey, explicitVersion)
      if (version === undefined) throw errors.unknownVersion(modelName, explicitVersion!)

      let replica = pickReplica(version.replicas)
      if (replica === undefined && cfg.fallbackToStable && version !== model.stable) {
        replica = pickReplica(model.stable.replicas)
        if (replica !== undefined) {
          const suppressed = this.#throttle.admit(`fallback:${modelName}:${version.name}`)
          if (suppressed >= 0) d.logger.warn({ model: modelName, version: version.name, servedBy: model.stable.name, requestId, suppressed }, 'version has no healthy replica; served by the stable version')
          outcome.fallbackFrom = version.name
          version = model.stable
          outcome.fallback = true
        }
      }
      outcome.version = version.name
      if (replica === undefined) throw errors.noHealthyReplica(modelName, version.name)

      const headers = forwardHeaders(req.headers, requestId)
      const path = replica.prefix + (body !== null ? version.inferPath : version.metadataPath)
      const upStart = performance.now()
      let up: UpstreamResponse
      try {
        up = await this.#send(replica, version, path, headers, body, cfg.requestTimeoutMs, cfg.maxResponseBytes)
      } catch (err) {
        if (!(err instanceof UpstreamFailure) || !isRetryable(err)) throw wrap(err, model, version, replica)
        // The connection failed before any response byte: the model has not
        // answered, so one retry on another replica is safe.
        const other = pickReplica(version.replicas, replica)
        if (other === undefined) throw wrap(err, model, version, replica)
        replica = other
        try {
          up = await this.#send(replica, version, path, headers, body, cfg.requestTimeoutMs, cfg.maxResponseBytes)
        } catch (err2) {
          throw wrap(err2, model, version, replica)
        }
      }
      outcome.upstreamMs = performance.now() - upStart
      outcome.replica = replica.url
      outcome.status = up.statusCode
      outcome.responseBody = up.body
      const out = responseHeaders(up.headers)
      out.push(VERSION_HEADER, version.name, REQUEST_ID_HEADER, requestId, 'content-length', String(up.body.length))
      if (outcome.fallback) out.push(FALLBACK_HEADER, 'stable')
      // Closing: tell the client not to reuse this connection, so closing it later races no new request.
      if (d.lifecycle.closing) out.push('connection', 'close')
      res.writeHead(up.statusCode, out)
      res.end(up.body)
    } catch (err) {
      const e = err instanceof GatewayError ? err : errors.internal(err)
      if (e.statusCode >= 500) {
        const suppressed = this.#throttle.admit(`${e.code}:${modelName}:${outcome.version ?? ''}`)
        if (suppressed >= 0) d.logger.warn({ code: e.code, model: modelName, version: outcome.version, replica: e.replica, requestId, err: e.cause ?? e, suppressed }, e.message)
      }
      outcome.status = e.statusCode
      outcome.errorCode = e.code
      if (e.replica !== undefined) outcome.replica = e.replica
      writeError(res, e, requestId, outcome.version, outcome.fallback, d.lifecycle.closing)
    } finally {
      outcome.totalMs = performance.now() - start
      d.observer.observe(outcome)
    }
  }

  /**
   * Answers a request the gateway refuses before choosing a version (unknown
   * model, body over the limit) and still reports it, so metrics and rollups
   * count every request. Observers bound the names they label with.
   */
  reject (res: ServerResponse, e: GatewayError, modelName: string, requestId: string, start: number, close: boolean): void {
    const d = this.#d
    writeError(res, e, requestId, null, false, close || d.lifecycle.closing)
    d.observer.observe({
      requestId,
      model: modelName,
      version: null,
      replica: null,
      release: null,
      status: e.statusCode,
      errorCode: e.code,
      startedAt: Date.now(),
      totalMs: performance.now() - start,
      upstreamMs: 0,
      fallback: false,
      fallbackFrom: null,
      stickyKey: undefined,
      requestBody: null,
      responseBody: null
    })
  }

  async #send (replica: Replica, version: VersionRoute, path: string, headers: string[], body: Buffer | null, timeoutMs: number, maxResponseBytes: number): Promise<UpstreamResponse> {
    const feedback = this.#d.feedback
    replica.inflight++
    try {
      const res = await callUpstream(replica.pool, { path, method: body !== null ? 'POST' : 'GET', headers, body, timeoutMs, maxResponseBytes })
      if (res.statusCode >= 500) feedback.failure(replica, version)
      else feedback.success(replica)
      return res
    } catch (err) {
      feedback.failure(replica, version)
      throw err
    } finally {
      replica.inflight--
    }
  }
}

function wrap (err: unknown, model: ModelRoute, version: VersionRoute, replica: Replica): GatewayError {
  if (err instanceof UpstreamFailure) return translateUpstreamError(err, model.name, version.name, replica.url, model.cfg.requestTimeoutMs)
  return err instanceof GatewayError ? err : errors.internal(err)
}

/** The client's x-request-id when it is usable, else a new UUID. */
export function requestIdOf (req: IncomingMessage): string {
  const id = req.headers[REQUEST_ID_HEADER]
  return typeof id === 'string' && id.length !== 0 && id.length <= MAX_REQUEST_ID_LENGTH ? id : randomUUID()
}

/** Writes a gateway error as `{ "error": { "code", "message", … } }`. */
export function writeError (res: ServerResponse, e: GatewayError, requestId: string | null, version: string | null, fallback: boolean, close: boolean, extra?: string[]): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const payload = JSON.stringify(e.toJSON())
  const headers = ['content-type', JSON_CONTENT_TYPE, 'content-length', String(Buffer.byteLength(payload))]
  if (requestId !== null) headers.push(REQUEST_ID_HEADER, requestId)
  if (version !== null) headers.push(VERSION_HEADER, version)
  if (fallback) headers.push(FALLBACK_HEADER, 'stable')
  if (close) headers.push('connection', 'close')
  if (extra !== undefined) headers.push(...extra)
  res.writeHead(e.statusCode, headers)
  res.end(payload)
}

/** Where JSON stops, with a short excerpt so the client can find it. */
function describeJsonError (body: Buffer, at: number): string {
  if (at >= body.length) return `the body ends at byte ${body.length} before the JSON is complete`
  const excerpt = body.subarray(Math.max(0, at - 10), at + 10).toString('utf8').replace(/[^\x20-\x7e]/g, '?')
  return `unexpected character at byte ${at} (near ${JSON.stringify(excerpt)})`
}

/** JSON is validated when the client says it is JSON, or says nothing. */
function isJson (contentType: string | undefined): boolean {
  return contentType === undefined || contentType.includes('json')
}
