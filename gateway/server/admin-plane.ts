/**
 * The admin listener, apart from the data plane. Every route needs a bearer
 * token from the config; tokens are compared in constant time. GET routes need
 * role "read" (or "admin"); everything else needs "admin", unless a route says
 * otherwise in its config (`config: { role: 'read' | 'admin' | 'public' }`).
 * Feature modules (control, health, metrics, pipeline) add their routes through
 * AdminModule functions.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { AdminToken } from '../config/schema.js'
import { GatewayError } from '../errors.js'

export type Role = 'read' | 'admin' | 'public'

export interface Principal {
  name: string
  role: 'read' | 'admin'
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
  interface FastifyContextConfig {
    role?: Role
  }
}

export type AdminModule = (app: FastifyInstance) => void

const ADMIN_BODY_LIMIT = 64 * 1024

export function adminError (code: 'GW_UNAUTHORIZED' | 'GW_FORBIDDEN' | 'GW_INVALID_ARGUMENT' | 'GW_CONFLICT' | 'GW_STATE_UNAVAILABLE' | 'GW_UNKNOWN_MODEL' | 'GW_UNKNOWN_VERSION' | 'GW_NOT_FOUND', message: string, ctx: { model?: string, version?: string } = {}): GatewayError {
  const status = { GW_UNAUTHORIZED: 401, GW_FORBIDDEN: 403, GW_INVALID_ARGUMENT: 400, GW_CONFLICT: 409, GW_STATE_UNAVAILABLE: 503, GW_UNKNOWN_MODEL: 404, GW_UNKNOWN_VERSION: 404, GW_NOT_FOUND: 404 }[code]
  return new GatewayError(code, status, message, ctx)
}

export async function buildAdminPlane (tokens: readonly AdminToken[], logger: Logger, modules: readonly AdminModule[]): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger.child({ plane: 'admin' }) as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ADMIN_BODY_LIMIT
  })
  // Digests of equal length let timingSafeEqual compare tokens of any length in constant time.
  const digests = tokens.map(t => ({ name: t.name, role: t.role, digest: sha256(t.token) }))
  app.decorateRequest('principal', null)

  app.addHook('onRequest', async (request) => {
    const required: Role = request.routeOptions.config.role ?? (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'admin')
    if (required === 'public') return
    const p = authenticate(request, digests)
    if (p === null) throw adminError('GW_UNAUTHORIZED', 'missing or invalid bearer token (send "authorization: Bearer <token>")')
    if (required === 'admin' && p.role !== 'admin') throw adminError('GW_FORBIDDEN', `token "${p.name}" has role "${p.role}"; this needs role "admin"`)
    request.principal = p
  })

  app.setErrorHandler((err: Error & { code?: string, statusCode?: number }, request, reply) => {
    let e: GatewayError
    if (err instanceof GatewayError) e = err
    else if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError) e = adminError('GW_INVALID_ARGUMENT', `request body is not valid JSON: ${err.message}`)
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new GatewayError('GW_BODY_TOO_LARGE', 413, `request body is larger than the limit of ${ADMIN_BODY_LIMIT} bytes`)
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = new GatewayError('GW_UNSUPPORTED_MEDIA_TYPE', 415, 'send application/json')
    else if (err.code === 'FST_ERR_VALIDATION') e = adminError('GW_INVALID_ARGUMENT', err.message)
    else if (typeof err.statusCode === 'number' && err.statusCode < 500) e = new GatewayError('GW_BAD_REQUEST', err.statusCode, err.message)
    else {
      request.log.error({ err }, 'admin request failed')
      e = new GatewayError('GW_INTERNAL', 500, 'internal error')
    }
    return reply.code(e.statusCode).send(e.toJSON())
  })
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send(adminError('GW_NOT_FOUND', `no admin route for ${request.method} ${request.url.slice(0, 200)}`).toJSON())
  })
  app.get('/healthz', { config: { role: 'public' } }, async () => ({ ok: true }))

  for (const m of modules) m(app)
  return app
}

function sha256 (s: string): Buffer {
  return createHash('sha256').update(s).digest()
}

function authenticate (request: FastifyRequest, digests: ReadonlyArray<{ name: string, role: 'read' | 'admin', digest: Buffer }>): Principal | null {
  const h = request.headers.authorization
  if (typeof h !== 'string' || !h.startsWith('Bearer ')) return null
  const d = sha256(h.slice(7).trim())
  let found: Principal | null = null
  // Compare against every token (no early exit) so timing does not reveal which one matched.
  for (const t of digests) {
    if (timingSafeEqual(d, t.digest) && found === null) found = { name: t.name, role: t.role }
  }
  return found
}
