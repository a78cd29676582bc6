/**
 * The admin listener, apart from the data plane. Every route needs a bearer
 * token from the config; tokens are compared in constant time. GET routes need
 * any role; everything else needs "admin", unless a route says otherwise in its
 * config (`config: { role: 'read' | 'admin' | 'public' }`). A rollout verb's
 * route names it (`config: { release: 'start' | 'approve' | 'abort' }`) and a
 * "release" token may call it; tokens scoped to models or labels may change
 * only those models (authorize.ts).
 * Feature modules (control, health, metrics, pipeline) add their routes through
 * AdminModule functions. Errors come from the one catalogue (gateway/errors.ts).
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Server as TlsServer } from 'node:tls'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { AdminToken } from '../config/schema.js'
import { errors, GatewayError, parserErrorResponse } from '../errors.js'
import { refusal, type Principal, type ReleaseAction } from './authorize.js'
import type { TlsMaterial } from '../tls/material.js'
import type { TSchema } from '@sinclair/typebox'
import { strictValidator } from './validation.js'

export type Role = 'read' | 'admin' | 'public'

export type { Principal }

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
  interface FastifyContextConfig {
    role?: Role
    /** The rollout verb this route is: a "release" token with that action may call it. */
    release?: ReleaseAction
  }
}

export interface AdminPlaneOptions {
  /** A model's labels, for tokens scoped by label. */
  labelsOf?: (model: string) => Readonly<Record<string, string>> | undefined
}

export type AdminModule = (app: FastifyInstance) => void

const ADMIN_BODY_LIMIT = 64 * 1024
/** RFC 7235 §2.1: the auth scheme is case-insensitive ("bearer", "BEARER" are the same scheme). */
const BEARER = /^bearer +/i

/** `tls`: serve over HTTPS with this certificate, following its rotations. */
export async function buildAdminPlane (tokens: readonly AdminToken[], logger: Logger, modules: readonly AdminModule[], tls: TlsMaterial | null = null, opts: AdminPlaneOptions = {}): Promise<FastifyInstance> {
  const labelsOf = opts.labelsOf ?? (() => undefined)
  const log = logger.child({ plane: 'admin' })
  const app = Fastify({
    ...(tls === null ? {} : { https: tls.options }),
    loggerInstance: log as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ADMIN_BODY_LIMIT,
    // Admin answers carry x-request-id too (the caller's, or a new one), like the data plane's.
    genReqId: (req) => {
      const id = req.headers['x-request-id']
      return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : randomUUID()
    },
    clientErrorHandler: (err: Error & { code?: string }, socket) => {
      if (socket.writable) socket.end(parserErrorResponse(err.code, randomUUID()))
      else socket.destroy()
    }
  })
  // fastify types its server as http.Server whatever the options; with `https` it is a tls.Server.
  if (tls !== null) tls.attach(app.server as unknown as TlsServer)
  // Digests of equal length let timingSafeEqual compare tokens of any length in constant time.
  const digests = tokens.map(t => ({
    principal: { name: t.name, role: t.role, actions: t.actions ?? null, models: t.models ?? null, labels: t.labels ?? null } satisfies Principal,
    digest: sha256(t.token)
  }))
  app.decorateRequest('principal', null)
  app.addHook('onRequest', async (request, reply) => { reply.header('x-request-id', request.id) })

  app.addHook('onRequest', async (request) => {
    const required: Role = request.routeOptions.config.role ?? (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'admin')
    if (required === 'public') return
    const p = authenticate(request, digests)
    if (p === null) {
      // Refused calls are worth a line: who (never the token), from where, for what.
      // The name goes under tokenName: the logger redacts any field called "token".
      log.warn({ tokenName: 'none', source: request.ip, method: request.method, route: routeOf(request) }, 'admin call refused: missing or invalid bearer token')
      throw new GatewayError('GW_UNAUTHORIZED')
    }
    const model = (request.params as { model?: unknown } | undefined)?.model
    const why = refusal(p, { write: required === 'admin', release: request.routeOptions.config.release, model: typeof model === 'string' ? model : undefined }, labelsOf)
    if (why !== null) {
      log.warn({ tokenName: p.name, source: request.ip, method: request.method, route: routeOf(request), reason: why }, 'admin call refused: the token may not do this')
      throw new GatewayError('GW_FORBIDDEN', { detail: why })
    }
    request.principal = p
  })

  app.setErrorHandler((err: Error & { code?: string, statusCode?: number }, request, reply) => {
    const e = translate(err)
    if (e.statusCode >= 500 && e.code === 'GW_INTERNAL') request.log.error({ err }, 'admin request failed')
    for (let i = 0; e.headers !== undefined && i < e.headers.length; i += 2) void reply.header(e.headers[i]!, e.headers[i + 1])
    return reply.code(e.statusCode).send(e.toJSON())
  })
  app.setNotFoundHandler((request, reply) => {
    const e = new GatewayError('GW_NOT_FOUND', { method: request.method, url: request.url })
    return reply.code(e.statusCode).send(e.toJSON())
  })
  app.get('/healthz', { config: { role: 'public' } }, async () => ({ ok: true }))
  // Every module's routes declare their input as TypeBox schemas, checked one way (validation.ts).
  app.setValidatorCompiler(({ schema, httpPart }) => strictValidator(schema as TSchema, httpPart ?? 'body'))

  for (const m of modules) m(app)
  return app
}

/** fastify's own errors in the catalogue's terms. */
function translate (err: Error & { code?: string, statusCode?: number }): GatewayError {
  if (err instanceof GatewayError) return err
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.invalid(`request body is not valid JSON: ${err.message}`)
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.bodyTooLarge(ADMIN_BODY_LIMIT)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('GW_UNSUPPORTED_MEDIA_TYPE', { detail: '' })
    case 'FST_ERR_VALIDATION':
      return errors.invalid(err.message)
  }
  if (err instanceof SyntaxError) return errors.invalid(`request body is not valid JSON: ${err.message}`)
  if (typeof err.statusCode === 'number' && err.statusCode < 500) return errors.badRequest(err.message)
  return errors.internal(err)
}

/** The route pattern when one matched (no ids or query strings in logs), else the path cut short. */
function routeOf (request: FastifyRequest): string {
  return request.routeOptions.url ?? request.url.split('?')[0]!.slice(0, 200)
}

function sha256 (s: string): Buffer {
  return createHash('sha256').update(s).digest()
}

function authenticate (request: FastifyRequest, digests: ReadonlyArray<{ principal: Principal, digest: Buffer }>): Principal | null {
  const h = request.headers.authorization
  if (typeof h !== 'string') return null
  const m = BEARER.exec(h)
  if (m === null) return null
  const d = sha256(h.slice(m[0].length).trim())
  let found: Principal | null = null
  // Compare against every token (no early exit) so timing does not reveal which one matched.
  for (const t of digests) {
    if (timingSafeEqual(d, t.digest) && found === null) found = t.principal
  }
  return found
}
