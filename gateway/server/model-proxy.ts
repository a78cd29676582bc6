/**
 * The request path of the data plane, in three steps:
 *   decide (routing/decide.ts, pure) -> send (proxy/send.ts) -> answer (answer.ts)
 * with one outcome reported to the observers at the end. It works on the raw
 * node:http request and response, which saves fastify's per-request pipeline
 * (10–20 µs of CPU per request, measured); see data-plane.ts for how the two
 * are joined. The snapshot is read once per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { TRAFFIC_HEADER, VERSION_HEADER } from '../config/defaults.js'
import { errors, GatewayError } from '../errors.js'
import type { Router, Version } from '../proxy/router.js'
import { decide, explicitVersionOf } from '../routing/decide.js'
import { HttpExchange } from '../proxy/send.js'
import type { UpstreamResponse } from '../proxy/upstream.js'
import { BINARY_HEADER, binaryHeaderLength, checkBody, type BodyInfo } from '../proxy/oip-body.js'
import { bodyLength, ChunkedBody, joinOnRead, type RequestBody } from '../proxy/request-body.js'
import type { RequestKind, RequestObserver, RequestOutcome } from '../observe/outcome.js'
import type { ReplicaFeedback } from '../proxy/feedback.js'
import { ThrottledLog } from '../observe/throttled-log.js'
import { stickyKeyOf, forwardHeaders, responseHeaders } from '../proxy/headers.js'
import { segmentOf } from '../proxy/segment.js'
import { answer, answerError, requestIdOf, type AnswerContext } from './answer.js'
import type { ShadowMirror, ShadowTicket } from '../proxy/shadow.js'
import type { AccessGate, Caller } from '../access/gate.js'

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
  /** Mirrors a share of requests to a shadow version. */
  shadow?: ShadowMirror | undefined
  /** Data-plane access control (access.enabled); undefined: every caller may score every model. */
  access?: AccessGate | undefined
}

/** With access control the credential stays at the gateway, and a traffic mark the caller may not set is dropped. */
const STRIP_CREDENTIAL: ReadonlySet<string> = new Set(['authorization'])
const STRIP_CREDENTIAL_AND_MARK: ReadonlySet<string> = new Set(['authorization', TRAFFIC_HEADER])

export class ModelProxy {
  readonly #d: ModelProxyDeps
  /** Per-request warnings (failover, upstream errors) are logged at most every 10 s per kind, with a count. */
  readonly #throttle = new ThrottledLog()
  #inFlight = 0

  constructor (deps: ModelProxyDeps) {
    this.#d = deps
  }

  /** Requests between arrival and answer (the overload guard's second measure). */
  get inFlight (): number {
    return this.#inFlight
  }

  /**
   * Answers one request for a model. `body` is the buffered request body for
   * inference (null for metadata GETs, which are forwarded to the chosen version).
   */
  async handle (req: IncomingMessage, res: ServerResponse, modelName: string, explicitVersion: string | undefined, body: RequestBody | null): Promise<void> {
    const d = this.#d
    const start = performance.now()
    const requestId = requestIdOf(req)
    // Who may call comes first: an unknown caller learns nothing, not even which models exist.
    let caller: Caller | null = null
    if (d.access !== undefined) {
      let c = d.access.authenticate(req.headers)
      if (c instanceof Promise) c = await c
      if (c instanceof GatewayError) {
        this.#refused(c, req, modelName, requestId)
        this.reject(req, res, c, modelName, requestId, start, false, undefined, null, body === null ? 'metadata' : 'infer')
        return
      }
      caller = c
    }
    const model = d.router.snapshot.models.get(modelName)
    if (model === undefined) {
      this.reject(req, res, errors.unknownModel(modelName), modelName, requestId, start, false, undefined, caller, body === null ? 'metadata' : 'infer')
      return
    }
    const cfg = model.cfg
    const stickyKey = caller?.stickyKey ?? stickyKeyOf(req.headers, cfg.stickyHeader, cfg.stickyCookie)
    const outcome = newOutcome(requestId, modelName, model.release, stickyKey, body, req, caller, d.access !== undefined, body === null ? 'metadata' : 'infer', model.seed)
    const ctx: AnswerContext = { requestId, version: null, fallback: false, close: d.lifecycle.closing }
    let exchange: HttpExchange | null = null
    let shadow: ShadowTicket | null = null
    const onClose = (): void => { if (!res.writableFinished) exchange?.cancel() }
    // `on`, not `once`: once wraps the listener in two more objects per request, and it is removed below anyway.
    res.on('close', onClose)
    this.#inFlight++
    try {
      const h = req.headers[VERSION_HEADER]
      const headerVersion = typeof h === 'string' ? h : undefined
      if (caller !== null) {
        const refused = d.access!.admit(caller, modelName, explicitVersionOf(model, { explicitVersion, headerVersion }), body !== null)
        if (refused !== null) throw refused
      }
      // decide
      if (body !== null) {
        if (bodyLength(body) > cfg.bodyLimitBytes) throw errors.bodyTooLarge(cfg.bodyLimitBytes, modelName)
        let info = checkBody(body, req.headers, modelName, cfg.bodyLimitBytes, d.validateJson)
        if (info instanceof Promise) info = await info
        if (info instanceof GatewayError) throw info
        noteBody(outcome, info)
      }
      if (cfg.segments !== null) outcome.segment = segmentOf(cfg.segments, req.headers, outcome.requestEncoding === null ? outcome.requestBody ?? body : null, outcome.requestHeaderLength)
      const decision = decide(model, { stickyKey, explicitVersion, headerVersion, segment: outcome.segment ?? undefined })
      if (decision.kind === 'unknown-version') throw errors.unknownVersion(modelName, decision.version)
      outcome.version = ctx.version = decision.version.name
      if (decision.kind === 'no-replica') throw new GatewayError('GW_NO_HEALTHY_REPLICA', { model: modelName, version: decision.version.name })
      if (decision.fallbackFrom !== null) this.#fellBack(outcome, ctx, decision.fallbackFrom, decision.version)

      // send (and mirror: the shadow call never delays this one, see proxy/shadow.ts)
      const version = decision.version
      const headers = forwardHeaders(req.headers, requestId, caller === null ? undefined : caller.batch ? STRIP_CREDENTIAL : STRIP_CREDENTIAL_AND_MARK)
      shadow = d.shadow?.start(model, requestId, headers, body) ?? null
      exchange = new HttpExchange({ model, version, method: body !== null ? 'POST' : 'GET', path: body !== null ? version.inferPath : version.metadataPath, headers, body, start }, decision.replica, d.feedback)
      const upStart = performance.now()
      const { response, replica } = await exchange.run()
      noteResponse(outcome, response, replica.url, upStart)

      // answer
      ctx.close = d.lifecycle.closing
      answer(res, response.statusCode, responseHeaders(response.headers), response.body, ctx)
    } catch (err) {
      this.#failed(err, req, res, outcome, ctx)
    } finally {
      this.#inFlight--
      res.off('close', onClose)
      outcome.totalMs = performance.now() - start
      shadow?.primaryDone(outcome.version ?? '', outcome.status, outcome.responseBody, outcome.upstreamMs)
      d.observer.observe(outcome)
    }
  }

  /** A request that failed after its model was known: logged (throttled) when the gateway or the model is at fault, counted, answered. */
  #failed (err: unknown, req: IncomingMessage, res: ServerResponse, outcome: RequestOutcome, ctx: AnswerContext): void {
    const e = err instanceof GatewayError ? err : errors.internal(err)
    const { model, requestId } = outcome
    if (e.statusCode >= 500 && e.code !== 'GW_CLIENT_CLOSED') {
      const suppressed = this.#throttle.admit(`${e.code}:${model}:${outcome.version ?? ''}`)
      if (suppressed >= 0) this.#d.logger.warn({ code: e.code, model, version: outcome.version, replica: e.replica, requestId, err: e.cause ?? e, suppressed }, e.message)
    } else if (e.code === 'GW_FORBIDDEN') {
      this.#refused(e, req, model, requestId)
    }
    outcome.status = e.statusCode
    outcome.errorCode = e.code
    if (e.replica !== undefined) outcome.replica = e.replica
    ctx.close = this.#d.lifecycle.closing
    if (e.code !== 'GW_CLIENT_CLOSED') answerError(res, e, ctx)
  }

  /**
   * Answers a request the gateway refuses before choosing a version (unknown
   * model, body over the limit) and still reports it, so metrics and rollups
   * count every request. Observers bound the names they label with.
   */
  reject (req: IncomingMessage, res: ServerResponse, e: GatewayError, modelName: string, requestId: string, start: number, close: boolean, extraHeaders?: string[], caller: Caller | null = null, kind: RequestKind = 'infer'): void {
    const d = this.#d
    answerError(res, e, { requestId, version: null, fallback: false, close: close || d.lifecycle.closing }, extraHeaders)
    const outcome = newOutcome(requestId, modelName, null, undefined, null, req, caller, d.access !== undefined, kind)
    outcome.status = e.statusCode
    outcome.errorCode = e.code
    outcome.totalMs = performance.now() - start
    d.observer.observe(outcome)
  }

  /** Refusals of access control are worth a line (why, from where; never the credential), at most every 10 s per kind. */
  #refused (e: GatewayError, req: IncomingMessage, model: string, requestId: string): void {
    const suppressed = this.#throttle.admit(`refused:${e.code}`)
    if (suppressed >= 0) this.#d.logger.warn({ code: e.code, reason: e.message, model, source: req.socket.remoteAddress, requestId, suppressed }, 'data-plane call refused')
  }

  #fellBack (outcome: RequestOutcome, ctx: AnswerContext, from: Version, to: Version): void {
    const suppressed = this.#throttle.admit(`fallback:${to.model}:${from.name}`)
    if (suppressed >= 0) this.#d.logger.warn({ model: to.model, version: from.name, servedBy: to.name, requestId: outcome.requestId, suppressed }, 'version has no healthy replica; served by the stable version')
    outcome.fallback = ctx.fallback = true
    outcome.fallbackFrom = from.name
  }
}

/** `guarded`: access control is on, so the batch mark counts only from a caller with the batch right. */
function newOutcome (requestId: string, model: string, release: string | null, stickyKey: string | undefined, body: RequestBody | null, req: IncomingMessage, caller: Caller | null, guarded: boolean, kind: RequestKind, seed?: number): RequestOutcome {
  const outcome: RequestOutcome = {
    requestId,
    model,
    version: null,
    replica: null,
    release,
    status: 0,
    errorCode: null,
    startedAt: Date.now(),
    totalMs: 0,
    upstreamMs: 0,
    fallback: false,
    fallbackFrom: null,
    stickyKey,
    seed,
    segment: null,
    requestBody: body instanceof ChunkedBody ? null : body,
    responseBody: null,
    traffic: req.headers[TRAFFIC_HEADER] === 'batch' && (!guarded || caller?.batch === true) ? 'batch' : 'live',
    kind,
    application: caller?.application ?? '',
    requestHeaderLength: -1,
    requestEncoding: null,
    responseHeaderLength: -1
  }
  if (body instanceof ChunkedBody) joinOnRead(outcome, body)
  return outcome
}

function noteResponse (outcome: RequestOutcome, response: UpstreamResponse, replica: string, upStart: number): void {
  outcome.upstreamMs = performance.now() - upStart
  outcome.replica = replica
  outcome.status = response.statusCode
  outcome.responseBody = response.body
  outcome.responseHeaderLength = binaryHeaderLength(response.headers[BINARY_HEADER])
}

function noteBody (outcome: RequestOutcome, info: BodyInfo): void {
  outcome.requestHeaderLength = info.jsonLength
  // Decoded already (validation inflated it): observers get the plain body and need not inflate again.
  if (info.decoded !== null) outcome.requestBody = info.decoded
  else outcome.requestEncoding = info.encoding
}
