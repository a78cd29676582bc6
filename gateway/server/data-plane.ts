/**
 * The data plane: the Open Inference Protocol (KServe v2) surface in front of the
 * model replicas. fastify owns the server and serves every route; the one route
 * that carries the traffic, POST …/infer, is recognised before fastify's router
 * and answered on the raw request by ModelProxy (measured on bench/: fastify's
 * per-request child logger, Request/Reply, content-type parsing and send
 * pipeline cost 10–20 µs of the gateway's CPU per request). Every other route
 * hijacks the reply and answers through answer.ts, so all answers share one
 * responder. The routes and their 405 answers come from one table (ROUTES).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type HTTPMethods } from 'fastify'
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config/load.js'
import { GATEWAY_NAME } from '../config/defaults.js'
import { errors, GatewayError } from '../errors.js'
import type { Router } from '../proxy/router.js'
import type { RequestObserver } from '../observe/outcome.js'
import type { ReplicaFeedback } from '../proxy/feedback.js'
import { ModelProxy, type Lifecycle } from './model-proxy.js'
import { matchInferUrl, type InferTarget } from './infer-url.js'
import { discardable, discardBody, readBody } from './read-body.js'
import { GATEWAY_VERSION } from '../version.js'
import { answerClientError, answerError, answerJson, requestIdOf, type AnswerContext } from './answer.js'
import { modelReadiness, serverReadiness, versionReadiness } from './readiness.js'
import type { ShadowMirror } from '../proxy/shadow.js'
import { matchOutcomesUrl } from './infer-url.js'
import type { OutcomeIntake } from './outcome-intake.js'
import type { OverloadGuard } from './overload.js'
import type { AccessGate } from '../access/gate.js'
import type { TlsMaterial } from '../tls/material.js'

export type { Lifecycle }

export interface DataPlaneDeps {
  config: GatewayConfig
  router: Router
  observer: RequestObserver
  feedback: ReplicaFeedback
  logger: Logger
  lifecycle: Lifecycle
  shadow?: ShadowMirror | undefined
  /** POST /v2/models/{m}/outcomes; absent when there is no scoring-log pipeline to queue outcomes on. */
  outcomes?: OutcomeIntake | undefined
  /** Sheds scoring requests while the gateway is overloaded; absent when shedding is off. */
  overload?: OverloadGuard | undefined
  /** Who may score what (access.enabled); any data-plane route may ask it (AccessGate.check). */
  access?: AccessGate | undefined
  /** Serve over TLS with this certificate, following its rotations. */
  tls?: TlsMaterial | null
}

type Params = Partial<Record<'model' | 'version', string>>
/** A route answers through `ctx` (request id, version) and never through fastify's reply pipeline. */
type Handler = (req: FastifyRequest<{ Params: Params }>, res: ServerResponse, ctx: AnswerContext) => Promise<void> | void

/** Longer than common load balancers' idle timeouts (60 s), so they close first. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000

export async function buildDataPlane (deps: DataPlaneDeps): Promise<FastifyInstance> {
  const { config, lifecycle } = deps
  const maxBodyLimit = Math.max(config.bodyLimitBytes, ...Object.values(config.models).map(m => m.bodyLimitBytes))
  const proxy = new ModelProxy({ ...deps, validateJson: config.validateJson })
  const infer = inferEntry(deps, proxy)

  const app = Fastify({
    // No fastify logger: with one, fastify builds a child logger for every request.
    // The gateway logs through deps.logger where something is worth saying.
    logger: false,
    bodyLimit: maxBodyLimit,
    // Serve requests that arrive on open keep-alive connections while closing:
    // a request the gateway accepted is answered, not refused.
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    clientErrorHandler: answerClientError,
    serverFactory: (fastifyHandler) => {
      const handler = (req: IncomingMessage, res: ServerResponse): void => {
        if (req.method === 'POST') {
          const target = matchInferUrl(req.url!)
          if (target !== null) {
            infer(req, res, target)
            return
          }
          const outcomesOf = deps.outcomes === undefined ? null : matchOutcomesUrl(req.url!)
          if (outcomesOf !== null) {
            deps.outcomes!.handle(req, res, outcomesOf, lifecycle, deps.access)
            return
          }
        }
        fastifyHandler(req, res)
      }
      const server = deps.tls == null ? createServer(handler) : tlsServer(deps.tls, handler)
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS
      return server
    }
  })

  // Bodies on the other routes are not used; they are read (within the limit) and dropped.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => { done(null, body) })
  addRoutes(app, deps, routesOf(deps, proxy))
  return app
}

/** POST …/infer on the raw request: shed when overloaded, read the body within the model's limit, hand it to the proxy. */
function inferEntry (deps: DataPlaneDeps, proxy: ModelProxy): (req: IncomingMessage, res: ServerResponse, target: InferTarget) => void {
  const { config, router, lifecycle } = deps
  const overload = deps.overload
  const retryAfter = overload === undefined ? [] : ['retry-after', String(overload.settings.retryAfterS)]
  function shed (req: IncomingMessage, res: ServerResponse, model: string): void {
    const g = overload!
    const detail = g.settings.maxInFlight > 0 && proxy.inFlight >= g.settings.maxInFlight
      ? `${proxy.inFlight} requests in progress, limit ${g.settings.maxInFlight}`
      : `event loop delay ${Math.round(g.eventLoopDelayMs)} ms, limit ${g.settings.maxEventLoopDelayMs} ms`
    proxy.reject(req, res, new GatewayError('GW_OVERLOADED', { model, detail, limit: g.settings.retryAfterS }), model, requestIdOf(req), performance.now(), false, [...retryAfter])
  }

  return function infer (req: IncomingMessage, res: ServerResponse, target: InferTarget): void {
    if (overload !== undefined && !overload.admit(proxy.inFlight)) {
      shed(req, res, target.model)
      return
    }
    const limit = router.snapshot.models.get(target.model)?.cfg.bodyLimitBytes ?? config.bodyLimitBytes
    readBody(req, limit, (body) => {
      if (body === 'aborted') return
      if (body === 'too-large') {
        // The rest of the body is read and dropped (bounded) so the client reads the answer; one too big to drain closes the connection.
        const drain = discardable(req)
        if (drain) discardBody(req)
        proxy.reject(req, res, errors.bodyTooLarge(limit, target.model), target.model, requestIdOf(req), performance.now(), !drain)
        return
      }
      proxy.handle(req, res, target.model, target.version, body).catch((err: unknown) => {
        deps.logger.error({ err }, 'unexpected error in the request path')
        answerError(res, errors.internal(err), { requestId: requestIdOf(req), version: null, fallback: false, close: lifecycle.closing })
      })
    })
  }
}

type Route = { url: string, method: 'GET' | 'POST', handler: Handler }

/** Every data-plane route: the one list the routes and their 405 answers are made from. */
function routesOf ({ router, lifecycle }: DataPlaneDeps, proxy: ModelProxy): readonly Route[] {
  // Metadata comes from the chosen version, through the same path as inference.
  const metadata: Handler = (req, res) => proxy.handle(req.raw, res, req.params.model!, req.params.version, null)
  const ready = (r: { status: number, body: unknown, version?: string }, res: ServerResponse, ctx: AnswerContext): void => {
    if (r.version !== undefined) ctx.version = r.version
    answerJson(res, r.status, r.body, ctx)
  }
  return [
    // POST …/infer is answered before the router (see serverFactory); listed for its 405s.
    { url: '/v2/models/:model/infer', method: 'POST', handler: () => {} },
    { url: '/v2/models/:model/versions/:version/infer', method: 'POST', handler: () => {} },
    // Answered before the router too when there is an intake; reached only without one.
    { url: '/v2/models/:model/outcomes', method: 'POST', handler: (req, res, ctx) => { answerError(res, router.snapshot.models.has(req.params.model!) ? new GatewayError('GW_OUTCOMES_NOT_ENABLED', { model: req.params.model }) : errors.unknownModel(req.params.model!), ctx) } },
    { url: '/v2/models/:model', method: 'GET', handler: metadata },
    { url: '/v2/models/:model/versions/:version', method: 'GET', handler: metadata },
    { url: '/v2/models/:model/ready', method: 'GET', handler: (req, res, ctx) => ready(modelReadiness(router.snapshot, lifecycle, req.params.model!), res, ctx) },
    { url: '/v2/models/:model/versions/:version/ready', method: 'GET', handler: (req, res, ctx) => ready(versionReadiness(router.snapshot, lifecycle, req.params.model!, req.params.version!), res, ctx) },
    { url: '/v2/health/live', method: 'GET', handler: (_req, res, ctx) => answerJson(res, 200, { live: true }, ctx) },
    { url: '/v2/health/ready', method: 'GET', handler: (_req, res, ctx) => ready(serverReadiness(router.snapshot, lifecycle), res, ctx) },
    { url: '/v2', method: 'GET', handler: (_req, res, ctx) => answerJson(res, 200, { name: GATEWAY_NAME, version: GATEWAY_VERSION, extensions: ['binary_tensor_data'] }, ctx) }
  ]
}

const ALL_METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']

/** The routes on fastify, each with its 405s, and every error and 404 answered through answer.ts. */
function addRoutes (app: FastifyInstance, { config, logger, lifecycle }: DataPlaneDeps, routes: readonly Route[]): void {
  const contextOf = (request: FastifyRequest): AnswerContext => {
    const params = request.params as Params | undefined
    return { requestId: requestIdOf(request.raw), version: params?.version ?? null, fallback: false, close: lifecycle.closing }
  }
  const fail = (request: FastifyRequest, reply: FastifyReply, e: GatewayError, extra?: string[]): void => {
    reply.hijack()
    answerError(reply.raw, e, contextOf(request), extra)
  }

  app.setErrorHandler((err: Error & { code?: string, statusCode?: number }, request, reply) => {
    const e = translateFrameworkError(err, request, config)
    if (e.statusCode >= 500) logger.error({ err, code: e.code, url: request.url }, 'request failed')
    fail(request, reply, e)
  })
  app.setNotFoundHandler((request, reply) => { fail(request, reply, new GatewayError('GW_NOT_FOUND', { method: request.method, url: request.url })) })

  for (const r of routes) {
    app.route<{ Params: Params }>({
      method: r.method,
      url: r.url,
      handler: async (request, reply) => {
        reply.hijack()
        await r.handler(request, reply.raw, contextOf(request))
      }
    })
    // Wrong methods on known routes get 405 with Allow, not a generic 404.
    const allowed = r.method === 'GET' ? ['GET', 'HEAD'] : [r.method]
    app.route({
      method: ALL_METHODS.filter(m => !allowed.includes(m)),
      url: r.url,
      handler: (request, reply) => { fail(request, reply, new GatewayError('GW_METHOD_NOT_ALLOWED', { method: request.method, url: request.url, allowed: allowed.join(', ') }), ['allow', allowed.join(', ')]) }
    })
  }
}

/** An HTTPS server that presents the material's certificate to every new connection, rotations included. */
function tlsServer (tls: TlsMaterial, handler: (req: IncomingMessage, res: ServerResponse) => void): ReturnType<typeof createTlsServer> {
  const server = createTlsServer(tls.options, handler)
  tls.attach(server)
  return server
}

function translateFrameworkError (err: Error & { code?: string, statusCode?: number }, request: FastifyRequest, config: GatewayConfig): GatewayError {
  if (err instanceof GatewayError) return err
  const model = (request.params as Params | undefined)?.model
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.bodyTooLarge(model !== undefined ? config.models[model]?.bodyLimitBytes ?? config.bodyLimitBytes : config.bodyLimitBytes, model)
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.badRequest('content-length does not match the body')
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return errors.badRequest(err.message)
  return errors.internal(err)
}
