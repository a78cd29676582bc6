/**
 * The data plane: the Open Inference Protocol (KServe v2) surface in front of the
 * model replicas. Handlers are thin: read the snapshot, call the pure selectors,
 * hand off to the upstream call, report the outcome.
 */
import { randomUUID } from 'node:crypto'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config/load.js'
import { REQUEST_ID_HEADER, VERSION_HEADER, FALLBACK_HEADER } from '../config/defaults.js'
import { errors, GatewayError } from '../errors.js'
import type { Router } from '../routing/router.js'
import type { ModelRoute, VersionRoute } from '../routing/snapshot.js'
import { selectVersion } from '../routing/select-version.js'
import { pickReplica } from '../routing/pick-replica.js'
import { callUpstream, isRetryable, translateUpstreamError, UpstreamFailure, type UpstreamResponse } from '../proxy/upstream.js'
import type { Replica } from '../proxy/replica.js'
import type { RequestObserver, RequestOutcome } from '../observe/outcome.js'
import type { ReplicaFeedback } from '../health/feedback.js'
import { stickyKeyOf, forwardHeaders, copyResponseHeaders } from '../proxy/headers.js'

export interface Lifecycle {
  /** Set first on shutdown, so readiness fails before the listener closes. */
  draining: boolean
}

export interface DataPlaneDeps {
  config: GatewayConfig
  router: Router
  observer: RequestObserver
  feedback: ReplicaFeedback
  logger: Logger
  lifecycle: Lifecycle
}

interface ModelParams { model: string }
interface VersionParams { model: string, version: string }

const MAX_REQUEST_ID_LENGTH = 128

export async function buildDataPlane (deps: DataPlaneDeps): Promise<FastifyInstance> {
  const { config, router, observer, feedback, lifecycle } = deps
  const maxBodyLimit = Math.max(config.bodyLimitBytes, ...Object.values(config.models).map(m => m.bodyLimitBytes))

  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: maxBodyLimit,
    // Serve requests that arrive on open keep-alive connections while closing:
    // a request the gateway accepted is answered, not refused.
    return503OnClosing: false,
    keepAliveTimeout: 72_000,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 }
  })

  // Bodies are forwarded as they came: kept as one Buffer, parsed only to reject malformed JSON.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => { done(null, body) })

  app.setErrorHandler((err: Error & { code?: string, statusCode?: number }, request, reply) => {
    const gwErr = translateFrameworkError(err, request, config)
    if (gwErr.statusCode >= 500) request.log.error({ err, code: gwErr.code }, 'request failed')
    return reply.code(gwErr.statusCode).send(gwErr.toJSON())
  })
  app.setNotFoundHandler((request, reply) => {
    const e = errors.notFound(request.method, request.url)
    return reply.code(404).send(e.toJSON())
  })

  async function proxy (
    request: FastifyRequest,
    reply: FastifyReply,
    modelName: string,
    explicitVersion: string | undefined,
    infer: boolean
  ): Promise<FastifyReply> {
    const start = performance.now()
    const startedAt = Date.now()
    let requestId = request.headers[REQUEST_ID_HEADER]
    if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > MAX_REQUEST_ID_LENGTH) requestId = randomUUID()
    reply.header(REQUEST_ID_HEADER, requestId)

    const model = router.snapshot.models.get(modelName)
    if (model === undefined) return fail(reply, errors.unknownModel(modelName))

    const body = infer ? (request.body as Buffer | undefined) ?? EMPTY : null
    const cfg = model.cfg
    const stickyKey = stickyKeyOf(request.headers, cfg.stickyHeader, cfg.stickyCookie)
    const outcome: RequestOutcome = {
      requestId,
      model: modelName,
      version: null,
      replica: null,
      release: model.release,
      status: 0,
      errorCode: null,
      startedAt,
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
        if (config.validateJson && isJsonRequest(request)) {
          try {
            JSON.parse(body.toString('utf8'))
          } catch (err) {
            throw errors.malformedJson(modelName, body.length === 0 ? 'the body is empty' : (err as Error).message)
          }
        }
      }
      if (explicitVersion === undefined && cfg.allowVersionHeader) {
        const h = request.headers[VERSION_HEADER]
        if (typeof h === 'string' && h !== '') explicitVersion = h
      }
      let version = selectVersion(model, stickyKey, explicitVersion)
      if (version === undefined) throw errors.unknownVersion(modelName, explicitVersion!)

      let replica = pickReplica(version.replicas)
      if (replica === undefined && cfg.fallbackToStable && version !== model.stable) {
        replica = pickReplica(model.stable.replicas)
        if (replica !== undefined) {
          deps.logger.warn({ model: modelName, version: version.name, servedBy: model.stable.name, requestId }, 'version has no healthy replica; served by the stable version')
          outcome.fallbackFrom = version.name
          version = model.stable
          outcome.fallback = true
          reply.header(FALLBACK_HEADER, 'stable')
        }
      }
      outcome.version = version.name
      if (replica === undefined) throw errors.noHealthyReplica(modelName, version.name)

      const headers = forwardHeaders(request.headers, requestId)
      const path = replica.prefix + (infer ? model.inferPath : model.metadataPath)
      const upStart = performance.now()
      let res: UpstreamResponse
      try {
        res = await send(replica, version, path, headers, body, cfg.requestTimeoutMs, infer)
      } catch (err) {
        if (!(err instanceof UpstreamFailure) || !isRetryable(err)) throw wrap(err, model, version, replica)
        // The connection failed before any response byte: the model has not answered, so one retry on another replica is safe.
        const other = pickReplica(version.replicas, replica)
        if (other === undefined) throw wrap(err, model, version, replica)
        replica = other
        try {
          res = await send(replica, version, path, headers, body, cfg.requestTimeoutMs, infer)
        } catch (err2) {
          throw wrap(err2, model, version, replica)
        }
      }
      outcome.upstreamMs = performance.now() - upStart
      outcome.replica = replica.url
      outcome.status = res.statusCode
      outcome.responseBody = res.body
      copyResponseHeaders(reply, res.headers)
      reply.header(VERSION_HEADER, version.name)
      // Draining: tell the client not to reuse this connection, so closing it later races no new request.
      if (lifecycle.draining) reply.header('connection', 'close')
      reply.code(res.statusCode)
      return reply.send(res.body)
    } catch (err) {
      const e = err instanceof GatewayError ? err : errors.internal(err)
      if (e.statusCode >= 500) deps.logger.warn({ code: e.code, model: modelName, version: outcome.version, replica: e.replica, requestId, err: e.cause ?? e }, e.message)
      if (outcome.version !== null) reply.header(VERSION_HEADER, outcome.version)
      outcome.status = e.statusCode
      outcome.errorCode = e.code
      if (e.replica !== undefined) outcome.replica = e.replica
      if (lifecycle.draining) reply.header('connection', 'close')
      return fail(reply, e)
    } finally {
      outcome.totalMs = performance.now() - start
      observer.observe(outcome)
    }
  }

  async function send (replica: Replica, version: VersionRoute, path: string, headers: string[], body: Buffer | null, timeoutMs: number, infer: boolean): Promise<UpstreamResponse> {
    replica.inflight++
    try {
      const res = await callUpstream(replica.pool, { path, method: infer ? 'POST' : 'GET', headers, body, timeoutMs })
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

  function wrap (err: unknown, model: ModelRoute, version: VersionRoute, replica: Replica): GatewayError {
    if (err instanceof UpstreamFailure) return translateUpstreamError(err, model.name, version.name, replica.url, model.cfg.requestTimeoutMs)
    return err instanceof GatewayError ? err : errors.internal(err)
  }

  app.post<{ Params: ModelParams }>('/v2/models/:model/infer', (req, reply) => proxy(req, reply, req.params.model, undefined, true))
  app.post<{ Params: VersionParams }>('/v2/models/:model/versions/:version/infer', (req, reply) => proxy(req, reply, req.params.model, req.params.version, true))
  app.get<{ Params: ModelParams }>('/v2/models/:model', (req, reply) => proxy(req, reply, req.params.model, undefined, false))
  app.get<{ Params: VersionParams }>('/v2/models/:model/versions/:version', (req, reply) => proxy(req, reply, req.params.model, req.params.version, false))

  app.get<{ Params: ModelParams }>('/v2/models/:model/ready', (req, reply) => {
    const model = router.snapshot.models.get(req.params.model)
    if (model === undefined) return fail(reply, errors.unknownModel(req.params.model))
    const ready = !lifecycle.draining && servable(model)
    return reply.code(ready ? 200 : 503).send({ name: model.name, ready })
  })
  app.get<{ Params: VersionParams }>('/v2/models/:model/versions/:version/ready', (req, reply) => {
    const model = router.snapshot.models.get(req.params.model)
    if (model === undefined) return fail(reply, errors.unknownModel(req.params.model))
    const version = model.versions.get(req.params.version)
    if (version === undefined) return fail(reply, errors.unknownVersion(model.name, req.params.version))
    const ready = !lifecycle.draining && version.replicas.some(r => r.available)
    return reply.code(ready ? 200 : 503).send({ name: model.name, version: version.name, ready })
  })
  app.get('/v2/health/live', (_req, reply) => reply.send({ live: true }))
  app.get('/v2/health/ready', (_req, reply) => {
    const ready = !lifecycle.draining && [...router.snapshot.models.values()].every(servable)
    return reply.code(ready ? 200 : 503).send({ ready })
  })
  app.get('/v2', (_req, reply) => reply.send({ name: 'model-gateway', version: GATEWAY_VERSION, extensions: [] }))

  // Wrong methods on known routes get 405 with Allow, not a generic 404.
  for (const [url, allowed] of [
    ['/v2/models/:model/infer', 'POST'],
    ['/v2/models/:model/versions/:version/infer', 'POST'],
    ['/v2/models/:model', 'GET'],
    ['/v2/models/:model/ready', 'GET'],
    ['/v2/health/live', 'GET'],
    ['/v2/health/ready', 'GET']
  ] as const) {
    const methods = (['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const).filter(m => m !== allowed)
    app.route({
      method: methods as unknown as string[],
      url,
      handler: (req, reply) => {
        reply.header('allow', allowed)
        return fail(reply, errors.methodNotAllowed(req.method, req.url, allowed))
      }
    })
  }

  return app
}

const EMPTY = Buffer.alloc(0)
const GATEWAY_VERSION = '0.1.0'

function fail (reply: FastifyReply, e: GatewayError): FastifyReply {
  return reply.code(e.statusCode).send(e.toJSON())
}

/** The model can answer: at least one version with traffic or the stable one has an available replica. */
function servable (model: ModelRoute): boolean {
  for (const v of model.versions.values()) if (v.replicas.some(r => r.available)) return true
  return false
}

function isJsonRequest (request: FastifyRequest): boolean {
  const ct = request.headers['content-type']
  return ct === undefined || ct.includes('json')
}

function translateFrameworkError (err: Error & { code?: string, statusCode?: number }, request: FastifyRequest, config: GatewayConfig): GatewayError {
  if (err instanceof GatewayError) return err
  const model = (request.params as { model?: string } | undefined)?.model
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.bodyTooLarge(model !== undefined ? config.models[model]?.bodyLimitBytes ?? config.bodyLimitBytes : config.bodyLimitBytes, model)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType(request.headers['content-type'] ?? '')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.badRequest('content-length does not match the body')
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return errors.badRequest(err.message)
  return errors.internal(err)
}
