/**
 * The control plane's admin API: read the routing state, shift weights, promote,
 * roll back, switch blue-green, register and retire versions, read the audit log
 * and the instance registry. Every answer carries the revision it reflects;
 * every write is a compare-and-set (`revision` in the body or `If-Match`).
 * Bodies are checked against strict schemas (unknown keys are an error, not dropped).
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import type { AdminModule } from './listener.js'
import type { Router } from '../proxy/router.js'
import { TOTAL_BP } from '../state/split.js'
import type { AuditEntry, InstanceInfo, OperationView, StateStore, StoreHealth } from '../control/store.js'
import { errors } from '../errors.js'
import * as ops from '../control/operations.js'
import { MAX_REPLICAS } from '../state/names.js'
import { ModelParams, Name, QueryValue, VersionParams } from './validation.js'
import { modelView, type ModelView } from './model-view.js'

export { modelView, type ModelView, type ReplicaView, type VersionView } from './model-view.js'
import { forcedDetail, gated, positive, versionOrCandidate } from '../control/release-gate.js'

export const DEFAULT_AUDIT_LIMIT = 50
export const MAX_AUDIT_LIMIT = 1000

const Revision = Type.Integer({ minimum: 0 })
const strict = { additionalProperties: false } as const

const SplitBody = Type.Object({
  weights: Type.Record(Type.String(), Type.Integer({ minimum: 0, maximum: TOTAL_BP }), { minProperties: 1 }),
  revision: Type.Optional(Revision),
  force: Type.Optional(Type.Boolean())
}, strict)
const CanaryBody = Type.Object({
  version: Name,
  weight: Type.Integer({ minimum: 0, maximum: TOTAL_BP }),
  revision: Type.Optional(Revision),
  force: Type.Optional(Type.Boolean())
}, strict)
const TargetBody = Type.Object({ version: Type.Optional(Name), revision: Type.Optional(Revision), force: Type.Optional(Type.Boolean()) }, strict)
const RevisionBody = Type.Object({ revision: Type.Optional(Revision) }, strict)
const RegisterBody = Type.Object({
  name: Name,
  replicas: Type.Array(Type.String({ maxLength: 2048 }), { minItems: 1, maxItems: MAX_REPLICAS }),
  upstream: Type.Optional(Type.Object({ model: Type.Optional(Name), version: Type.Optional(Name) }, { ...strict, minProperties: 1 })),
  revision: Type.Optional(Revision)
}, strict)
const SamplingBody = Type.Object({
  rate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
  revision: Type.Optional(Revision)
}, strict)

const ReplicasBody = Type.Object({
  add: Type.Optional(Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 256 })),
  remove: Type.Optional(Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 256 })),
  revision: Type.Optional(Revision)
}, strict)

export interface ControlAdminDeps {
  store: StateStore
  router: Router
  instanceId: string
  /** How long a promotion or switch keeps the previous version held back (rollouts.holdbackMs). */
  holdbackMs: number
  now?: () => number
}

const RetireQuery = Type.Object({ revision: QueryValue, force: QueryValue })
const AuditQuery = Type.Object({ limit: QueryValue })
const OperationParams = Type.Object({ id: Type.String() })

type OnModel<B extends TSchema> = { Params: Static<typeof ModelParams>, Body: Static<B> }
type OnVersion<B extends TSchema> = { Params: Static<typeof VersionParams>, Body: Static<B> }

/** GET /admin/models */
export interface ModelsAnswer { revision: number, instanceId: string, store: StoreHealth, models: ModelView[] }
/** GET /admin/models/{m} */
export interface ModelAnswer { revision: number, instanceId: string, model: ModelView }
/** Every write: the model after it, and the id to look the operation up by. */
export interface WriteAnswer { revision: number, operationId: string, model: ModelView }
/** GET /admin/audit: the store's entries as they are (before/after included). */
export interface AuditAnswer { revision: number, entries: AuditEntry[] }
/** GET /admin/operations/{id} */
export interface OperationAnswer { revision: number, operation: OperationView }
export interface InstanceView extends InstanceInfo { current: boolean, self: boolean }
/** GET /admin/instances */
export interface InstancesAnswer { revision: number, instanceId: string, instances: InstanceView[] }

/** What every control route shares: the store, the router's view of it, and the one write path. */
interface Routes {
  store: StateStore
  router: Router
  instanceId: string
  now: () => number
  hold: () => ops.Hold
  write: (request: FastifyRequest, model: string, action: string, detail: Record<string, unknown>, op: ops.Operation, bodyRevision: number | undefined) => Promise<WriteAnswer>
}

export function controlAdminModule (deps: ControlAdminDeps): AdminModule {
  const { store, router, instanceId } = deps
  const now = deps.now ?? Date.now
  const routes: Routes = {
    store,
    router,
    instanceId,
    now,
    hold: () => ({ now: now(), holdbackMs: deps.holdbackMs }),
    write: async (request, model, action, detail, op, bodyRevision) => {
      const expected = expectedRevision(request, bodyRevision)
      const operationId = randomUUID()
      const s = await store.update(expected, op, { actor: request.principal?.name ?? 'unknown', action, model, detail, operationId })
      request.log.info({ actor: request.principal?.name, action, model, detail, revision: s.revision, operationId }, 'routing state changed')
      return { revision: s.revision, operationId, model: modelView(router, model, s.models[model]!) }
    }
  }
  return (app: FastifyInstance) => {
    app.server.once('listening', () => {
      const a = app.server.address()
      if (a !== null && typeof a === 'object') store.setAddress(`${app.initialConfig.https === undefined || app.initialConfig.https === false ? 'http' : 'https'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`)
    })
    void app.register(async (scope) => {
      stateReads(scope, routes)
      weightWrites(scope, routes)
      versionWrites(scope, routes)
      logReads(scope, routes)
    })
  }
}

/** GET the routing state: every model, or one. */
function stateReads (scope: FastifyInstance, { store, router, instanceId }: Routes): void {
  scope.get('/admin/models', async (): Promise<ModelsAnswer> => {
    const s = store.get()
    return { revision: s.revision, instanceId, store: store.health(), models: Object.keys(s.models).map(m => modelView(router, m, s.models[m]!)) }
  })

  scope.get<{ Params: Static<typeof ModelParams> }>('/admin/models/:model', { schema: { params: ModelParams } }, async (request): Promise<ModelAnswer> => {
    const s = store.get()
    const ms = s.models[request.params.model]
    if (ms === undefined) throw errors.unknownModel(request.params.model)
    return { revision: s.revision, instanceId, model: modelView(router, request.params.model, ms) }
  })
}

/** Writes that move traffic between versions: split, canary, promote, rollback, switch. */
function weightWrites (scope: FastifyInstance, { store, now, hold, write }: Routes): void {
  scope.put<OnModel<typeof SplitBody>>(
    '/admin/models/:model/split', { schema: { params: ModelParams, body: SplitBody } },
    async (request) => {
      const { model } = request.params
      const { weights, force = false } = request.body
      const op = gated(model, () => positive(weights), force, ops.setSplit(model, weights))
      return write(request, model, 'set-split', { weights, ...forcedDetail(store.get(), model, () => positive(weights), force, request.principal?.name) }, op, request.body.revision)
    })

  scope.post<OnModel<typeof CanaryBody>>(
    '/admin/models/:model/canary', { schema: { params: ModelParams, body: CanaryBody } },
    async (request) => {
      const { model } = request.params
      const { version, weight, force = false } = request.body
      const targets = weight > 0 ? [version] : []
      const op = gated(model, () => targets, force, ops.setCanary(model, version, weight))
      return write(request, model, 'canary', { version, weight, ...forcedDetail(store.get(), model, () => targets, force, request.principal?.name) }, op, request.body.revision)
    })

  // Promote and switch both move all traffic to a version (the candidate when none is named).
  const toVersion = (action: 'promote' | 'switch', opOf: (model: string, version: string | undefined, h: ops.Hold) => ops.Operation) =>
    async (request: FastifyRequest<OnModel<typeof TargetBody>>) => {
      const { model } = request.params
      const { version, force = false } = request.body
      const target = versionOrCandidate(version)
      const forced = forcedDetail(store.get(), model, target, force, request.principal?.name)
      return write(request, model, action, { ...versionDetail(version), ...forced }, gated(model, target, force, opOf(model, version, hold())), request.body.revision)
    }

  scope.post<OnModel<typeof TargetBody>>(
    '/admin/models/:model/promote', { schema: { params: ModelParams, body: TargetBody } }, toVersion('promote', ops.promote))

  scope.post<OnModel<typeof RevisionBody>>(
    '/admin/models/:model/rollback', { schema: { params: ModelParams, body: RevisionBody } },
    async (request) => write(request, request.params.model, 'rollback', {}, ops.rollback(request.params.model, now(), request.principal?.name), request.body.revision))

  scope.post<OnModel<typeof TargetBody>>(
    '/admin/models/:model/switch', { schema: { params: ModelParams, body: TargetBody } }, toVersion('switch', ops.switchActive))
}

/** Writes that change a model's versions: register, retire, sampling, replicas. */
function versionWrites (scope: FastifyInstance, { store, router, now, write }: Routes): void {
  scope.post<OnModel<typeof RegisterBody>>(
    '/admin/models/:model/versions', { schema: { params: ModelParams, body: RegisterBody } },
    async (request, reply) => {
      const { name, replicas, upstream } = request.body
      const detail = upstream === undefined ? { version: name, replicas } : { version: name, replicas, upstream }
      const out = await write(request, request.params.model, 'register-version', detail, ops.registerVersion(request.params.model, name, replicas, upstream), request.body.revision)
      return reply.code(201).send(out)
    })

  scope.delete<{ Params: Static<typeof VersionParams>, Querystring: Static<typeof RetireQuery> }>(
    '/admin/models/:model/versions/:version', { schema: { params: VersionParams, querystring: RetireQuery } },
    async (request) => {
      const q = request.query.revision
      const rev = q === undefined ? undefined : parseRevision(q, 'query parameter revision')
      const f = request.query.force
      if (f !== undefined && f !== 'true' && f !== 'false') throw errors.invalid(`query parameter force must be true or false, got ${JSON.stringify(f.slice(0, 40))}`)
      const force = f === 'true'
      const { model, version } = request.params
      const held = store.get().models[model]?.holdback
      const detail = force && held?.version === version && held.until > now() ? { version, force: true, forcedBy: request.principal?.name ?? 'unknown', heldUntil: new Date(held.until).toISOString() } : { version }
      return write(request, model, 'retire-version', detail, ops.retireVersion(model, version, now(), force), rev)
    })

  scope.put<OnVersion<typeof SamplingBody>>(
    '/admin/models/:model/versions/:version/sampling', { schema: { params: VersionParams, body: SamplingBody } },
    async (request) => {
      const { model, version } = request.params
      return write(request, model, 'set-sampling', { version, rate: request.body.rate }, ops.setSampleRate(model, version, request.body.rate), request.body.revision)
    })

  scope.patch<OnVersion<typeof ReplicasBody>>(
    '/admin/models/:model/versions/:version/replicas', { schema: { params: VersionParams, body: ReplicasBody } },
    async (request) => {
      const { model, version } = request.params
      const add = request.body.add ?? []
      const remove = request.body.remove ?? []
      // A version that also follows a DNS name may be left with no static replica.
      const allowEmpty = router.configs[model]?.discovery[version] !== undefined
      const action = remove.length === 0 ? 'add-replicas' : add.length === 0 ? 'remove-replicas' : 'change-replicas'
      return write(request, model, action, { version, add, remove }, ops.changeReplicas(model, version, add, remove, allowEmpty), request.body.revision)
    })
}

/** The audit log, one operation, and the instance registry. */
function logReads (scope: FastifyInstance, { store, instanceId }: Routes): void {
  scope.get<{ Querystring: Static<typeof AuditQuery> }>('/admin/audit', { schema: { querystring: AuditQuery } }, async (request): Promise<AuditAnswer> => {
    const limit = request.query.limit === undefined ? DEFAULT_AUDIT_LIMIT : parseLimit(request.query.limit)
    return { revision: store.get().revision, entries: await store.audit(limit) }
  })

  scope.get<{ Params: Static<typeof OperationParams> }>('/admin/operations/:id', { schema: { params: OperationParams } }, async (request): Promise<OperationAnswer> => {
    const id = request.params.id
    if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw errors.invalid('an operation id is the one a write answered (letters, digits and dashes)')
    return { revision: store.get().revision, operation: await store.operation(id) }
  })

  scope.get('/admin/instances', async (): Promise<InstancesAnswer> => {
    const [latest, list] = await Promise.all([store.latestRevision(), store.instances()])
    return {
      revision: latest,
      instanceId,
      instances: list.map(i => ({ ...i, current: i.revision === latest, self: i.instanceId === instanceId }))
    }
  })
}

function versionDetail (version: string | undefined): Record<string, unknown> {
  return version === undefined ? {} : { version }
}

/** The revision a write expects: `revision` in the body, else an `If-Match` header; none means "whatever is current". */
function expectedRevision (request: FastifyRequest, bodyRevision: number | undefined): number | undefined {
  const h = request.headers['if-match']
  const header = typeof h === 'string' && h.trim() !== '*' && h.trim() !== '' ? parseRevision(h.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1'), 'If-Match header') : undefined
  if (bodyRevision !== undefined && header !== undefined && bodyRevision !== header) {
    throw errors.invalid(`body revision ${bodyRevision} and If-Match revision ${header} disagree`)
  }
  return bodyRevision ?? header
}

function parseRevision (s: string, what: string): number {
  if (!/^\d{1,15}$/.test(s)) throw errors.invalid(`${what} must be a revision number, got ${JSON.stringify(s.slice(0, 40))}`)
  return Number(s)
}

function parseLimit (s: string): number {
  const n = /^\d{1,6}$/.test(s) ? Number(s) : NaN
  if (!(n >= 1 && n <= MAX_AUDIT_LIMIT)) throw errors.invalid(`limit must be an integer from 1 to ${MAX_AUDIT_LIMIT}, got ${JSON.stringify(s.slice(0, 40))}`)
  return n
}
