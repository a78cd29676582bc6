/**
 * The admin API of data-plane access control (access.enabled): applications
 * (scope, rights, quotas) and their API keys, added, rotated and revoked
 * without a restart. A new key is shown once, in the answer that made it; the
 * store keeps its hash. Reads need role "read", changes role "admin"; every
 * change is audited (who, what, which key id; never a key).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { AdminModule } from './listener.js'
import { QueryValue } from './validation.js'
import type { AccessComponent } from '../access/component.js'
import type { AccessAuditInput } from '../access/store.js'
import { addKey, deleteApplication, generateKey, putApplication, revokeKey, rotateKey, type AccessOperation } from '../access/operations.js'
import { ApplicationSchema } from '../config/access-schema.js'
import { applicationSpec, ResolveError } from '../config/resolve-access.js'
import { errors, GatewayError } from '../errors.js'
import { hashKey, keyId, type AccessState, type ApplicationState, type KeyRecord } from '../state/access-state.js'
import { NAME_PATTERN, NAME_RE } from '../state/names.js'

export const DEFAULT_ACCESS_AUDIT_LIMIT = 50
/** Longest grace a rotated key may keep working: 30 days. */
export const MAX_GRACE_S = 30 * 86_400

const ApplicationBody = Type.Omit(ApplicationSchema, ['keys'], { additionalProperties: false })
const KeyBody = Type.Object({ name: Type.String({ pattern: NAME_PATTERN }) }, { additionalProperties: false })
const RotateBody = Type.Object({ graceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_GRACE_S })) }, { additionalProperties: false })

export interface KeyView { id: string, name: string, createdAt: string, expiresAt: string | null }
export interface ApplicationView extends Omit<ApplicationState, 'keys'> { name: string, keys: KeyView[] }
/** What a key operation answers: the application after it, and the new key (shown this once). */
export interface NewKeyView { revision: number, application: ApplicationView, key: string, id: string, name: string }

/** GET /admin/applications */
export interface ApplicationsAnswer { revision: number, instances: number, applications: ApplicationView[] }
/** GET, PUT /admin/applications/{app} and DELETE of a key: the application after it. */
export interface ApplicationAnswer { revision: number, application: ApplicationView }

export interface AccessAdminDeps {
  access: AccessComponent
  /** Models this gateway serves, for checking an application's scope. */
  models: () => readonly string[]
}

const AppParams = Type.Object({ app: Type.String() })
const KeyParams = Type.Object({ app: Type.String(), key: Type.String() })
const AuditQuery = Type.Object({ limit: QueryValue })
type OnApp = { Params: Static<typeof AppParams> }
type OnKey = { Params: Static<typeof KeyParams> }

export function accessAdminModule ({ access, models }: AccessAdminDeps): AdminModule {
  const { store } = access
  return (app: FastifyInstance) => {
    void app.register(async (scope) => {
      const write = async (request: FastifyRequest, op: AccessOperation, audit: Omit<AccessAuditInput, 'actor'>): Promise<AccessState> => {
        const actor = request.principal?.name ?? 'unknown'
        const s = await store.update(op, { ...audit, actor })
        request.log.info({ actor, action: audit.action, application: audit.application, detail: audit.detail, revision: s.revision }, 'access state changed')
        return s
      }
      const one = (s: AccessState, name: string): ApplicationView => {
        const a = s.applications[name]
        if (a === undefined) throw new GatewayError('GW_UNKNOWN_APPLICATION', { application: name })
        return view(name, a)
      }

      scope.get('/admin/applications', async (): Promise<ApplicationsAnswer> => {
        const s = store.get()
        return { revision: s.revision, instances: access.quotas.instances, applications: Object.entries(s.applications).map(([n, a]) => view(n, a)) }
      })

      scope.get<OnApp>('/admin/applications/:app', { schema: { params: AppParams } }, async (request): Promise<ApplicationAnswer> => {
        const s = store.get()
        return { revision: s.revision, application: one(s, request.params.app) }
      })

      scope.put<OnApp & { Body: Static<typeof ApplicationBody> }>('/admin/applications/:app', { schema: { params: AppParams, body: ApplicationBody } }, async (request): Promise<ApplicationAnswer> => {
        const name = checkName(request.params.app)
        let spec
        try {
          spec = applicationSpec('body', request.body as Parameters<typeof applicationSpec>[1], models())
        } catch (err) {
          if (err instanceof ResolveError) throw errors.invalid(`${err.path}: ${err.reason}`)
          throw err
        }
        const s = await write(request, putApplication(name, spec), { action: 'put-application', application: name, detail: { ...spec } })
        return { revision: s.revision, application: one(s, name) }
      })

      scope.delete<OnApp>('/admin/applications/:app', { schema: { params: AppParams } }, async (request) => {
        const name = request.params.app
        const s = await write(request, deleteApplication(name), { action: 'delete-application', application: name })
        return { revision: s.revision, deleted: name }
      })

      scope.post<OnApp & { Body: Static<typeof KeyBody> }>('/admin/applications/:app/keys', { schema: { params: AppParams, body: KeyBody } }, async (request, reply) => {
        const app = request.params.app
        const key = generateKey()
        const hash = hashKey(key)
        const s = await write(request, addKey(app, request.body.name, hash), { action: 'add-key', application: app, detail: { key: request.body.name, id: keyId(hash) } })
        return reply.code(201).send(newKey(s, one(s, app), key, hash, request.body.name))
      })

      scope.post<OnKey & { Body: Static<typeof RotateBody> }>('/admin/applications/:app/keys/:key/rotate', { schema: { params: KeyParams, body: RotateBody } }, async (request, reply) => {
        const { app, key: name } = request.params
        const graceS = request.body.graceSeconds ?? 0
        const key = generateKey()
        const hash = hashKey(key)
        const s = await write(request, rotateKey(app, name, hash, graceS), { action: 'rotate-key', application: app, detail: { key: name, id: keyId(hash), graceSeconds: graceS } })
        return reply.code(201).send(newKey(s, one(s, app), key, hash, name))
      })

      scope.delete<OnKey>('/admin/applications/:app/keys/:key', { schema: { params: KeyParams } }, async (request) => {
        const { app, key } = request.params
        const s = await write(request, revokeKey(app, key), { action: 'revoke-key', application: app, detail: { key } })
        return { revision: s.revision, application: one(s, app) }
      })

      scope.get<{ Querystring: Static<typeof AuditQuery> }>('/admin/access/audit', { schema: { querystring: AuditQuery } }, async (request) => {
        const q = request.query.limit
        const limit = q === undefined ? DEFAULT_ACCESS_AUDIT_LIMIT : /^\d{1,4}$/.test(q) && Number(q) >= 1 && Number(q) <= 1000 ? Number(q) : NaN
        if (Number.isNaN(limit)) throw errors.invalid(`limit must be an integer from 1 to 1000, got ${JSON.stringify(q!.slice(0, 40))}`)
        return { revision: store.get().revision, entries: await store.audit(limit) }
      })
    })
  }
}

function checkName (name: string): string {
  if (!NAME_RE.test(name)) throw errors.invalid(`application name ${JSON.stringify(name.slice(0, 40))} must match ${NAME_PATTERN}`)
  return name
}

function keyView (k: KeyRecord): KeyView {
  return { id: k.id, name: k.name, createdAt: k.createdAt, expiresAt: k.expiresAt }
}

/** Hashes stay in the store: a view names keys by id. */
export function view (name: string, a: ApplicationState): ApplicationView {
  return { name, models: a.models, versions: a.versions, rights: a.rights, quota: a.quota, quotas: a.quotas, keys: a.keys.map(keyView) }
}

function newKey (s: AccessState, application: ApplicationView, key: string, hash: string, name: string): NewKeyView {
  return { revision: s.revision, application, key, id: keyId(hash), name }
}
