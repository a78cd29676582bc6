/**
 * The rollout admin API, on the admin listener beside the control routes:
 *   POST /admin/models/{m}/rollout           start: { version, plan? | template?, templateVersion?,
 *                                            override? } (a plan as a JSON object, or a plan
 *                                            template; without either, the model's
 *                                            release.rollout from the config); the model's
 *                                            policies must hold, else 403 GW_POLICY_VIOLATION
 *   GET  /admin/models/{m}/rollout           status (the stored rollout + last analysis)
 *   POST /admin/models/{m}/rollout/pause|resume|abort|approve
 *   GET  /admin/models/{m}/rollout/explain   every decision with its figures (?limit=)
 *   GET  /admin/rollouts                     every model's rollout, the queue and its bound
 * Bodies are checked against strict TypeBox schemas. Writes go through the
 * state store's compare-and-set and audit log, like every other admin write.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { AdminModule } from '../admin/listener.js'
import { ModelParams } from '../admin/validation.js'
import type { StateStore } from '../control/store.js'
import type { Operation } from '../control/operations.js'
import { errors, GatewayError } from '../errors.js'
import { NAME_PATTERN } from '../state/names.js'
import type { RoutingState } from '../state/routing-state.js'
import type { RolloutRecord } from '../state/rollout-record.js'
import { PlanError, planSuites, validatePlan, type RolloutPlan } from './plan.js'
import type { ReleaseAction } from '../admin/authorize.js'
import type { PolicyConfig, TemplateConfig } from '../config/schema.js'
import type { PlanSource } from './config-plans.js'
import { allTemplates, resolveTemplate } from './templates.js'
import { assertCompliant, policiesFor } from './policies.js'
import { rolloutEvent, type EventSink } from './events.js'
import { abortRollout, approveRollout, pauseRollout, resumeRollout, startRollout, type WriteContext } from './operations.js'
import { rolloutView, type ControlView, type RolloutView } from './status.js'
import { outcomesSourceProblem } from './outcomes-check.js'
import type { RolloutController } from './controller.js'
import { inProgress, mayAdmitNow, queued, queuePosition } from './queue.js'
import type { Coordination, JournalEntry } from './coordination.js'

export const DEFAULT_EXPLAIN_LIMIT = 500
export const MAX_EXPLAIN_LIMIT = 2000

const strict = { additionalProperties: false } as const
const Revision = Type.Optional(Type.Integer({ minimum: 0 }))
const StartBody = Type.Object({
  version: Type.String({ pattern: NAME_PATTERN }),
  plan: Type.Optional(Type.Unknown()),
  template: Type.Optional(Type.String({ pattern: NAME_PATTERN })),
  templateVersion: Type.Optional(Type.Integer({ minimum: 1 })),
  override: Type.Optional(Type.Object({})),
  revision: Revision
}, strict)
type StartRequest = Static<typeof StartBody>
const RevisionBody = Type.Object({ revision: Revision }, strict)
const ExplainQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^\\d{1,5}$' })) }, strict)

export interface RolloutAdminDeps {
  store: StateStore
  coordination: Coordination
  /** The config's plans by model (whole plans, or template references). */
  plans: Readonly<Record<string, PlanSource>>
  templates: readonly TemplateConfig[]
  policies: readonly PolicyConfig[]
  labelsOf: (model: string) => Readonly<Record<string, string>>
  /** The model's segments (its values and "other"), or null when it has none. */
  segmentsOf: (model: string) => readonly string[] | null
  instanceId: string
  /** The analysis source: a plan it cannot serve (outcomes on the local source) is refused at start. */
  source?: 'local' | 'clickhouse'
  /** rollouts.holdbackMs */
  holdbackMs: number
  /** rollouts.maxInProgress, or null for no bound. */
  maxInProgress: number | null
  /** Rollout changes out (webhooks). */
  events: EventSink
  /** The model's verification suites (a plan's verify steps must name them). */
  suiteNames: (model: string) => string[]
  /** This instance's controller (null when rollouts.enabled is off). */
  controller?: RolloutController | null
  now?: () => number
}

type OnModel = { Params: Static<typeof ModelParams> }
type Verb = 'pause' | 'resume' | 'abort' | 'approve'
const VERBS: Record<Verb, (model: string, ctx: WriteContext) => Operation> = { pause: pauseRollout, resume: resumeRollout, abort: abortRollout, approve: approveRollout }
/** Which token action each verb needs (admin/authorize.ts): resume lets a rollout go on, pause stops it. */
const ACTION_OF: Record<Verb, ReleaseAction> = { pause: 'abort', resume: 'approve', abort: 'abort', approve: 'approve' }

/** GET /admin/models/{m}/rollout: the stored rollout and how it stands. */
export interface RolloutAnswer { revision: number, rollout: RolloutRecord, view: RolloutView }
/** Every rollout write: the rollout after it, and the id to look the operation up by. */
export interface RolloutWriteAnswer extends RolloutAnswer { operationId: string }
/** GET /admin/models/{m}/rollout/explain: the rollout's journal, oldest first. */
export interface ExplainAnswer { revision: number, rollout: RolloutRecord, entries: JournalEntry[] }
/** GET /admin/rollouts */
export interface RolloutsAnswer { revision: number, maxInProgress: number | null, inProgress: number, queued: number, rollouts: RolloutView[] }

/** What the rollout routes share: the clock, the write path and the status answer. */
interface Routes {
  deps: RolloutAdminDeps
  now: () => number
  ctxOf: (request: FastifyRequest) => WriteContext
  write: (request: FastifyRequest, model: string, action: string, op: Operation, detail: Record<string, unknown>, revision: number | undefined) => Promise<RolloutWriteAnswer>
  status: (model: string, revision?: number) => Promise<RolloutAnswer>
}

export function rolloutAdminModule (deps: RolloutAdminDeps): AdminModule {
  const now = deps.now ?? Date.now
  const routes = rolloutRoutes(deps, now, controlReader(deps))
  return (app: FastifyInstance) => {
    void app.register(async (scope) => {
      startRoute(scope, routes)
      scope.get<OnModel>('/admin/models/:model/rollout', { schema: { params: ModelParams } }, async (request) => routes.status(request.params.model))
      for (const verb of Object.keys(VERBS) as Verb[]) {
        scope.post<OnModel & { Body: Static<typeof RevisionBody> }>(`/admin/models/:model/rollout/${verb}`, { schema: { params: ModelParams, body: RevisionBody }, config: { release: ACTION_OF[verb] } }, async (request) =>
          routes.write(request, request.params.model, `rollout-${verb}`, VERBS[verb](request.params.model, routes.ctxOf(request)), {}, request.body.revision))
      }
      readRoutes(scope, routes)
    })
  }
}

/** Who controls a model's rollout: the store's health, the lease holder, the newest decision. */
function controlReader (deps: RolloutAdminDeps): (model: string, journal: JournalEntry[] | null) => Promise<ControlView> {
  const { store, coordination, instanceId } = deps
  /** The newest decision each model's journal showed, for when the journal does not answer. */
  const lastSeen = new Map<string, ControlView['lastDecision']>()
  return async (model, journal) => {
    const h = store.health()
    let lease: ControlView['lease']
    try {
      const holder = await coordination.holder(model)
      lease = { holder: holder?.instanceId ?? null, expiresInMs: holder?.expiresInMs ?? null }
    } catch (err) {
      lease = { holder: null, expiresInMs: null, error: `cannot read it: ${(err as Error).message}` }
    }
    const newest = journal?.[0]
    if (newest !== undefined) lastSeen.set(model, { at: new Date(newest.at).toISOString(), instanceId: newest.instanceId, action: newest.action })
    const local = deps.controller?.lastAnalysisAt(model) ?? null
    let lastDecision = lastSeen.get(model) ?? null
    if (local !== null && (lastDecision === null || Date.parse(lastDecision.at) < local)) lastDecision = { at: new Date(local).toISOString(), instanceId, action: 'analysis' }
    return { store: { kind: h.kind, available: h.available, unavailableSince: h.unavailableSince, error: h.error }, lease, lastDecision, lastDecisionCached: journal === null }
  }
}

/** The write path (store, event, journal) and the status answer every write returns. */
function rolloutRoutes (deps: RolloutAdminDeps, now: () => number, control: ReturnType<typeof controlReader>): Routes {
  const { store, coordination, instanceId } = deps
  const journalNote = async (model: string, action: JournalEntry['action'], reason: string): Promise<void> => {
    const r = store.get().models[model]?.rollout
    if (r == null) return
    await coordination.append(model, { at: now(), instanceId, action, step: r.step, weight: rolloutView(model, r, null, now()).weight, reason, checks: [], rolloutId: r.id }).catch(() => {})
  }
  const status = async (model: string, revision?: number): Promise<RolloutAnswer> => {
    const s = store.get()
    const ms = s.models[model]
    if (ms === undefined) throw errors.unknownModel(model)
    const r = ms.rollout
    if (r == null) throw noRollout(model)
    const journal = await coordination.journal(model, 20).catch(() => null)
    const last = (journal ?? []).find(e => e.rolloutId === r.id && e.checks.length > 0) ?? null
    return { revision: revision ?? s.revision, rollout: r, view: rolloutView(model, r, last, now(), { queuePosition: queuePosition(s, model), control: await control(model, journal) }) }
  }
  const write = async (request: FastifyRequest, model: string, action: string, op: Operation, detail: Record<string, unknown>, revision: number | undefined): Promise<RolloutWriteAnswer> => {
    const actor = request.principal?.name ?? 'unknown'
    const operationId = randomUUID()
    const s = await store.update(revision, op, { actor, action, model, detail, operationId })
    request.log.info({ actor, action, model, revision: s.revision, operationId }, 'rollout changed')
    const r = s.models[model]?.rollout
    if (r != null) deps.events.emit(rolloutEvent(model, r, action.replace('rollout-', 'rollout.'), instanceId, now()))
    await journalNote(model, action.replace('rollout-', '') as JournalEntry['action'], `${action} by ${actor}`)
    return { operationId, ...await status(model, s.revision) }
  }
  const ctxOf = (request: FastifyRequest): WriteContext => ({ now: now(), holdbackMs: deps.holdbackMs, actor: request.principal?.name ?? 'unknown' })
  return { deps, now, ctxOf, write, status }
}

/** POST …/rollout: the plan is checked against the analysis source, the policies, the segments and the suites before it is stored. */
function startRoute (scope: FastifyInstance, { deps, ctxOf, write }: Routes): void {
  const { store } = deps
  scope.post<OnModel & { Body: StartRequest }>('/admin/models/:model/rollout', { schema: { params: ModelParams, body: StartBody }, config: { release: 'start' } }, async (request, reply) => {
    const { model } = request.params
    const { version } = request.body
    if (store.get().models[model] === undefined) throw errors.unknownModel(model)
    const { plan, template } = planOf(request.body, model, deps, store.get())
    const problem = outcomesSourceProblem(plan.checks.outcomes, deps.source ?? 'local')
    if (problem !== null) throw errors.invalid(`invalid rollout plan: ${problem}`, { model })
    assertCompliant(model, plan, policiesFor(model, deps.labelsOf(model), deps.policies))
    const known = deps.segmentsOf(model)
    const unknown = (plan.segments ?? []).filter(x => known === null || !known.includes(x))
    if (unknown.length > 0) throw errors.invalid(known === null ? `the plan limits the canary to segments, and model "${model}" declares none (segments in its config)` : `the plan names segment(s) ${unknown.join(', ')}, which model "${model}" does not have (has: ${known.join(', ')})`, { model })
    const missing = planSuites(plan).filter(n => !deps.suiteNames(model).includes(n))
    if (missing.length > 0) throw errors.invalid(`the plan verifies with suite(s) ${missing.join(', ')}, which model "${model}" does not define (has: ${deps.suiteNames(model).join(', ') || 'none'})`, { model })
    const admit = (state: RoutingState): boolean => mayAdmitNow(state, deps.maxInProgress)
    const out = await write(request, model, 'rollout-start', startRollout(model, version, plan, ctxOf(request), { admit, template }), { version, plan, ...(template === null ? {} : { template }) }, request.body.revision)
    return reply.code(201).send(out)
  })
}

/** GET …/rollout/explain (the journal) and GET /admin/rollouts (every model's rollout and the queue). */
function readRoutes (scope: FastifyInstance, { deps, now }: Routes): void {
  const { store, coordination } = deps
  scope.get<OnModel & { Querystring: Static<typeof ExplainQuery> }>('/admin/models/:model/rollout/explain', { schema: { params: ModelParams, querystring: ExplainQuery } }, async (request): Promise<ExplainAnswer> => {
    const { model } = request.params
    const s = store.get()
    const r = s.models[model]?.rollout
    if (s.models[model] === undefined) throw errors.unknownModel(model)
    if (r == null) throw noRollout(model)
    const q = request.query.limit
    const limit = q === undefined ? DEFAULT_EXPLAIN_LIMIT : Number(q)
    if (!(limit >= 1 && limit <= MAX_EXPLAIN_LIMIT)) throw errors.invalid(`limit must be an integer from 1 to ${MAX_EXPLAIN_LIMIT}`)
    let entries: JournalEntry[]
    try {
      entries = (await coordination.journal(model, limit, { durable: true })).filter(e => e.rolloutId === r.id)
    } catch (err) {
      throw errors.stateUnavailable(`cannot read the rollout journal: ${(err as Error).message}`, err)
    }
    return { revision: s.revision, rollout: r, entries: entries.reverse() }
  })
  scope.get('/admin/rollouts', async (): Promise<RolloutsAnswer> => {
    const s = store.get()
    const at = now()
    const positions = new Map(queued(s).map((q, i) => [q.model, i + 1]))
    const rollouts = Object.entries(s.models)
      .filter(([, ms]) => ms.rollout != null)
      .map(([m, ms]) => rolloutView(m, ms.rollout!, null, at, { queuePosition: positions.get(m) ?? null }))
    return { revision: s.revision, maxInProgress: deps.maxInProgress, inProgress: inProgress(s), queued: positions.size, rollouts }
  })
}

function noRollout (model: string): GatewayError {
  return new GatewayError('GW_NO_ROLLOUT', { model })
}

/** The plan a start asks for: the body's plan, a template (with an override), or the model's config plan. */
function planOf (b: StartRequest, model: string, deps: RolloutAdminDeps, state: RoutingState): { plan: RolloutPlan, template: { name: string, version: number } | null } {
  if (b.plan !== undefined && b.template !== undefined) throw errors.invalid('body: give either plan or template, not both', { model })
  if (b.template === undefined && (b.templateVersion !== undefined || b.override !== undefined)) throw errors.invalid('body: templateVersion and override go with template', { model })
  try {
    if (b.plan !== undefined) return { plan: validatePlan(b.plan, 'body.plan'), template: null }
    const templates = allTemplates(deps.templates, state)
    if (b.template !== undefined) return resolveTemplate({ template: b.template, version: b.templateVersion ?? null, override: b.override ?? null }, templates, 'body')
    const p = deps.plans[model]
    if (p === undefined) throw errors.invalid(`no plan given and model "${model}" has no release.rollout in the config; pass a plan or a template`, { model })
    return 'plan' in p ? { plan: p.plan, template: null } : resolveTemplate(p.ref, templates, `models.${model}.release.rollout`)
  } catch (err) {
    if (err instanceof PlanError) throw errors.invalid(`invalid rollout plan: ${err.message}`, { model })
    throw err
  }
}
