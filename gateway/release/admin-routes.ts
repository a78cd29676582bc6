/**
 * The rollout admin API, on the admin listener beside the control routes:
 *   POST /admin/models/{m}/rollout           start: { version, plan? } (plan as a
 *                                            JSON object; without one, the model's
 *                                            release.rollout from the config)
 *   GET  /admin/models/{m}/rollout           status (the stored rollout + last analysis)
 *   POST /admin/models/{m}/rollout/pause|resume|abort
 *   GET  /admin/models/{m}/rollout/explain   every decision with its figures (?limit=)
 * Writes go through the state store's compare-and-set and audit log, like every
 * other admin write.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AdminModule } from '../admin/listener.js'
import type { StateStore } from '../control/store.js'
import type { Operation } from '../control/operations.js'
import { errors, GatewayError } from '../errors.js'
import { PlanError, validatePlan, type RolloutPlan } from './plan.js'
import { abortRollout, pauseRollout, resumeRollout, startRollout } from './operations.js'
import { rolloutView, type ControlView } from './status.js'
import type { Coordination, JournalEntry } from './coordination.js'
import { outcomesSourceProblem } from './outcomes-check.js'
import type { RolloutController } from './controller.js'

export const DEFAULT_EXPLAIN_LIMIT = 500
export const MAX_EXPLAIN_LIMIT = 2000

export interface RolloutAdminDeps {
  store: StateStore
  coordination: Coordination
  /** Validated config plans by model. */
  plans: Readonly<Record<string, RolloutPlan>>
  instanceId: string
  /** The analysis source: a plan it cannot serve (outcomes on the local source) is refused at start. */
  source?: 'local' | 'clickhouse'
  /** This instance's controller (null when rollouts.enabled is off). */
  controller?: RolloutController | null
  now?: () => number
}

interface ModelParams { model: string }

export function rolloutAdminModule (deps: RolloutAdminDeps): AdminModule {
  const { store, coordination, plans, instanceId } = deps
  const now = deps.now ?? Date.now
  /** The newest decision each model's journal showed, for when the journal does not answer. */
  const lastSeen = new Map<string, ControlView['lastDecision']>()
  const control = async (model: string, journal: JournalEntry[] | null): Promise<ControlView> => {
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
  return (app: FastifyInstance) => {
    const journalNote = async (model: string, action: JournalEntry['action'], reason: string): Promise<void> => {
      const r = store.get().models[model]?.rollout
      if (r == null) return
      await coordination.append(model, { at: now(), instanceId, action, step: r.step, weight: rolloutView(model, r, null, now()).weight, reason, checks: [], rolloutId: r.id }).catch(() => {})
    }
    const write = async (request: FastifyRequest, model: string, action: string, op: Operation, detail: Record<string, unknown>): Promise<unknown> => {
      const actor = request.principal?.name ?? 'unknown'
      const operationId = randomUUID()
      const s = await store.update(revisionOf(request.body), op, { actor, action, model, detail, operationId })
      request.log.info({ actor, action, model, revision: s.revision, operationId }, 'rollout changed')
      await journalNote(model, action.replace('rollout-', '') as JournalEntry['action'], `${action} by ${actor}`)
      return { operationId, ...await status(model, s.revision) }
    }
    const status = async (model: string, revision?: number): Promise<Record<string, unknown>> => {
      const s = store.get()
      const ms = s.models[model]
      if (ms === undefined) throw errors.unknownModel(model)
      const r = ms.rollout
      if (r == null) throw noRollout(model)
      const journal = await coordination.journal(model, 20).catch(() => null)
      const last = (journal ?? []).find(e => e.rolloutId === r.id && e.checks.length > 0) ?? null
      return { revision: revision ?? s.revision, rollout: r, view: rolloutView(model, r, last, now(), await control(model, journal)) }
    }

    app.post<{ Params: ModelParams, Body: { version?: unknown, plan?: unknown, revision?: unknown } }>('/admin/models/:model/rollout', async (request, reply) => {
      const { model } = request.params
      const body = (request.body ?? {}) as Record<string, unknown>
      for (const k of Object.keys(body)) if (!['version', 'plan', 'revision'].includes(k)) throw errors.invalid(`body.${k}: is not a known field (version, plan, revision)`)
      if (typeof body.version !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(body.version)) throw errors.invalid('body.version: must name the version to roll out', { model })
      let plan: RolloutPlan
      try {
        plan = body.plan === undefined ? configPlan(plans, model) : validatePlan(body.plan, 'body.plan')
      } catch (err) {
        if (err instanceof PlanError) throw errors.invalid(`invalid rollout plan: ${err.message}`, { model })
        throw err
      }
      const problem = outcomesSourceProblem(plan.checks.outcomes, deps.source ?? 'local')
      if (problem !== null) throw errors.invalid(`invalid rollout plan: ${problem}`, { model })
      const out = await write(request, model, 'rollout-start', startRollout(model, body.version, plan, request.principal?.name ?? 'unknown', now()), { version: body.version, plan })
      return reply.code(201).send(out)
    })
    app.get<{ Params: ModelParams }>('/admin/models/:model/rollout', async (request) => status(request.params.model))
    app.post<{ Params: ModelParams }>('/admin/models/:model/rollout/pause', async (request) =>
      write(request, request.params.model, 'rollout-pause', pauseRollout(request.params.model, request.principal?.name ?? 'unknown', now()), {}))
    app.post<{ Params: ModelParams }>('/admin/models/:model/rollout/resume', async (request) =>
      write(request, request.params.model, 'rollout-resume', resumeRollout(request.params.model, request.principal?.name ?? 'unknown', now()), {}))
    app.post<{ Params: ModelParams }>('/admin/models/:model/rollout/abort', async (request) =>
      write(request, request.params.model, 'rollout-abort', abortRollout(request.params.model, request.principal?.name ?? 'unknown', now()), {}))
    app.get<{ Params: ModelParams, Querystring: { limit?: string } }>('/admin/models/:model/rollout/explain', async (request) => {
      const { model } = request.params
      const s = store.get()
      const r = s.models[model]?.rollout
      if (s.models[model] === undefined) throw errors.unknownModel(model)
      if (r == null) throw noRollout(model)
      const q = request.query.limit
      const limit = q === undefined ? DEFAULT_EXPLAIN_LIMIT : /^\d{1,5}$/.test(q) && Number(q) >= 1 && Number(q) <= MAX_EXPLAIN_LIMIT ? Number(q) : NaN
      if (Number.isNaN(limit)) throw errors.invalid(`limit must be an integer from 1 to ${MAX_EXPLAIN_LIMIT}`)
      let entries: JournalEntry[]
      try {
        entries = (await coordination.journal(model, limit, { durable: true })).filter(e => e.rolloutId === r.id)
      } catch (err) {
        throw errors.stateUnavailable(`cannot read the rollout journal: ${(err as Error).message}`, err)
      }
      return { revision: s.revision, rollout: r, entries: entries.reverse() }
    })
  }
}

function noRollout (model: string): GatewayError {
  return new GatewayError('GW_NO_ROLLOUT', { model })
}

function configPlan (plans: Readonly<Record<string, RolloutPlan>>, model: string): RolloutPlan {
  const p = plans[model]
  if (p === undefined) throw errors.invalid(`no plan given and model "${model}" has no release.rollout in the config; pass a plan`, { model })
  return p
}

function revisionOf (body: unknown): number | undefined {
  const r = (body as { revision?: unknown } | null | undefined)?.revision
  if (r === undefined) return undefined
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 0) throw errors.invalid('body.revision: must be a revision number')
  return r
}
