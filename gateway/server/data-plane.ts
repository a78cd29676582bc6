/**
 * The data plane: the Open Inference Protocol (KServe v2) surface in front of the
 * model replicas. fastify serves every route; the one route that carries the
 * traffic, POST …/infer, is recognised before fastify's router and answered on
 * the raw request by ModelProxy (measured on bench/: fastify's per-request
 * child logger, Request/Reply, content-type parsing and send pipeline cost
 * 10–20 µs of the gateway's ~120 µs of CPU per request then). Metadata GETs go
 * through fastify and hand the raw request to the same ModelProxy, so there is
 * one request path.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config/load.js'
import { errors, GatewayError } from '../errors.js'
import type { Router } from '../proxy/router.js'
import type { Model as ModelRoute } from '../proxy/router.js'
import type { RequestObserver } from '../observe/outcome.js'
import type { ReplicaFeedback } from '../health/feedback.js'
import { ModelProxy, requestIdOf, writeError, type Lifecycle } from './model-proxy.js'
import { matchInferUrl, type InferTarget } from './infer-url.js'
import { readBody } from './read-body.js'

export type { Lifecycle }

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

/** Longer than common load balancers' idle timeouts (60 s), so they close first. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000
const GATEWAY_VERSION = '0.1.0'

export async function buildDataPlane (deps: DataPlaneDeps): Promise<FastifyInstance> {
  const { config, router, lifecycle } = deps
  const maxBodyLimit = Math.max(config.bodyLimitBytes, ...Object.values(config.models).map(m => m.bodyLimitBytes))
  const proxy = new ModelProxy({ ...deps, validateJson: config.validateJson })

  function infer (req: IncomingMessage, res: ServerResponse, target: InferTarget): void {
    const limit = router.snapshot.models.get(target.model)?.cfg.bodyLimitBytes ?? config.bodyLimitBytes
    readBody(req, limit, (body) => {
      if (body === 'aborted') return
      if (body === 'too-large') {
        // The rest of the body is not read: close the connection after the answer.
        proxy.reject(res, errors.bodyTooLarge(limit, target.model), target.model, requestIdOf(req), performance.now(), true)
        return
      }
      proxy.handle(req, res, target.model, target.version, body).catch((err: unknown) => {
        deps.logger.error({ err }, 'unexpected error in the request path')
        writeError(res, errors.internal(err), null, null, false, lifecycle.closing)
      })
    })
  }

  const app = Fastify({
    // No fastify logger: with one, fastify builds a child logger for every request.
    // The gateway logs through deps.logger where something is worth saying.
    logger: false,
    bodyLimit: maxBodyLimit,
    // Serve requests that arrive on open keep-alive connections while closing:
    // a request the gateway accepted is answered, not refused.
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    serverFactory: (fastifyHandler) => {
      const server = createServer((req, res) => {
        if (req.method === 'POST') {
          const target = matchInferUrl(req.url!)
          if (target !== null) {
            infer(req, res, target)
            return
          }
        }
        fastifyHandler(req, res)
      })
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS
      return server
    }
  })

  // Bodies on the other routes are not used; they are read (within the limit) and dropped.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => { done(null, body) })

  app.setErrorHandler((err: Error & { code?: string, statusCode?: number }, request, reply) => {
    const e = translateFrameworkError(err, request, config)
    if (e.statusCode >= 500) deps.logger.error({ err, code: e.code, url: request.url }, 'request failed')
    return fail(reply, e)
  })
  app.setNotFoundHandler((request, reply) => fail(reply, errors.notFound(request.method, request.url)))

  // Model metadata comes from the chosen version, through the same path as inference.
  const metadata = (req: FastifyRequest, reply: FastifyReply, model: string, version: string | undefined): Promise<void> => {
    reply.hijack()
    return proxy.handle(req.raw, reply.raw, model, version, null)
  }
  app.get<{ Params: ModelParams }>('/v2/models/:model', (req, reply) => metadata(req, reply, req.params.model, undefined))
  app.get<{ Params: VersionParams }>('/v2/models/:model/versions/:version', (req, reply) => metadata(req, reply, req.params.model, req.params.version))

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
    ['/v2/models/:model/versions/:version', 'GET'],
    ['/v2/models/:model/ready', 'GET'],
    ['/v2/health/live', 'GET'],
    ['/v2/health/ready', 'GET']
  ] as const) {
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].filter(m => m !== allowed)
    app.route({
      method: methods,
      url,
      handler: (req, reply) => {
        reply.header('allow', allowed)
        return fail(reply, errors.methodNotAllowed(req.method, req.url, allowed))
      }
    })
  }

  return app
}

function fail (reply: FastifyReply, e: GatewayError): FastifyReply {
  return reply.code(e.statusCode).send(e.toJSON())
}

/** The model can answer: at least one of its versions has an available replica. */
function servable (model: ModelRoute): boolean {
  for (const v of model.versions.values()) if (v.replicas.some(r => r.available)) return true
  return false
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
