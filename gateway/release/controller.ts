/**
 * The rollout controller: every gateway instance runs one. Each tick it reads
 * the routing state; for each model with an active rollout it tries for the
 * model's lease, and the holder alone analyses the candidate every plan
 * interval and acts: the decision goes to the journal and the log, and a change
 * goes through the state store's compare-and-set on the revision it read (a
 * write based on a stale read is refused, so a controller that lost its lease
 * while stalled cannot undo a newer decision). Because the rollout lives in the
 * routing state, a controller that dies is replaced by whichever instance takes
 * the lease next, and it continues from the stored step. After promotion the
 * same loop runs the watch, which compares the new version with the previous
 * one's last step before promotion and rolls back on a failed check.
 */
import type { Logger } from '../observe/log.js'
import { DEFAULT_HOLDBACK_MS, DEFAULT_ROLLOUT_STALE_AFTER_MS, DEFAULT_ROLLOUT_TICK_MS } from '../config/defaults.js'
import type { StateStore } from '../control/store.js'
import { GatewayError } from '../errors.js'
import { isActive, type RolloutRecord } from '../state/rollout-record.js'
import { analyseWithSegments } from './segments.js'
import { outputOf, planOf, stepAlphas, watchAlphas, type RolloutPlan } from './plan.js'
import { decide, seconds, type Decision, type Evaluation } from './steps.js'
import { admitNext, inProgress, queued } from './queue.js'
import { applyDecision, drifted, supersede, type WriteContext } from './operations.js'
import { decideExperiment } from './experiment.js'
import { outcomesQuery } from './outcomes-check.js'
import type { AnalysisSource, WindowQuery } from './source.js'
import type { Coordination, JournalEntry } from './coordination.js'
import type { VerificationRecord } from '../state/routing-state.js'
import { recordVerification } from '../control/release-gate.js'
import { shadowChecks, type ShadowEvidence } from './shadow-step.js'
import { verificationChecks, type Verifier } from './verifier.js'
import type { Warmer } from './warmup.js'
import type { TaskStep } from './plan-steps.js'
import { rolloutEvent, type EventSink } from './events.js'
import type { CheckResult } from './check-registry.js'

/** A step's window starts at the step, but not before the candidate's cold start (plan.exclude.duration) is over. */
function coldEnd (r: RolloutRecord, plan: RolloutPlan): number {
  const cold = plan.exclude?.durationMs ?? 0
  return cold > 0 && r.trafficSince != null ? Math.max(r.stepStartedAt, r.trafficSince + cold) : r.stepStartedAt
}

/** Told of every decision the controller takes (events out, metrics). */
export type DecisionListener = (model: string, r: RolloutRecord, d: Decision) => void

export interface ControllerOptions {
  store: StateStore
  source: AnalysisSource
  coordination: Coordination
  instanceId: string
  logger: Logger
  tickMs?: number
  /** Data whose newest point is older than this counts as missing (source stale). */
  staleAfterMs?: number
  /** rollouts.holdbackMs: the holdback of a promotion whose plan names none. */
  holdbackMs?: number
  /** rollouts.maxInProgress: the release queue's bound (null or absent: none). */
  maxInProgress?: number | null
  now?: () => number
  onDecision?: DecisionListener
  /** Where shadow steps read their pairs. */
  shadow?: ShadowEvidence
  /** Runs verify steps. */
  verifier?: Verifier
  /** Runs warm-up steps. */
  warmer?: Warmer
  /** Rollout changes and stale data, out (webhooks). */
  events?: EventSink
  /** How many segments a model has (its configured values and "other"), or 0 without segments. */
  segmentCount?: (model: string) => number
}

/** A verify or warm-up step's work, running in the background while the loop goes on. */
interface StepTask {
  key: string
  result: { checks: CheckResult[], record: VerificationRecord | null } | Error | null
}

export class RolloutController {
  readonly #o: ControllerOptions
  readonly #now: () => number
  readonly #logger: Logger
  /** model -> `${rollout id}/${step}` and when it was last analysed. */
  readonly #last = new Map<string, { key: string, at: number }>()
  readonly #leased = new Set<string>()
  readonly #tasks = new Map<string, StepTask>()
  /** Models whose analysis source was down or stale at their last look (for staleness events). */
  readonly #stale = new Set<string>()
  #timer: NodeJS.Timeout | null = null
  #running: Promise<void> | null = null
  #closed = false

  constructor (opts: ControllerOptions) {
    this.#o = opts
    this.#now = opts.now ?? Date.now
    this.#logger = opts.logger.child({ component: 'rollout-controller' })
  }

  start (): this {
    this.#timer ??= setInterval(() => { this.#running ??= this.tick().finally(() => { this.#running = null }) }, this.#o.tickMs ?? DEFAULT_ROLLOUT_TICK_MS)
    this.#timer.unref()
    return this
  }

  async close (): Promise<void> {
    this.#closed = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    if (this.#running !== null) await this.#running
    for (const m of this.#leased) await this.#o.coordination.release(m)
    this.#leased.clear()
  }

  /** Epoch ms of this controller's last analysis of `model`, or null. */
  lastAnalysisAt (model: string): number | null {
    return this.#last.get(model)?.at ?? null
  }

  /** One pass over every model; errors are logged, never thrown (the loop goes on). */
  async tick (): Promise<void> {
    const state = this.#o.store.get()
    for (const [model, ms] of Object.entries(state.models)) {
      if (this.#closed) return
      const r = ms.rollout
      if (!isActive(r) || r.status === 'queued') {
        this.#o.source.unwatch?.(model)
        if (this.#leased.delete(model)) await this.#o.coordination.release(model)
        continue
      }
      const plan = planOf(r)
      this.#o.source.watch(model, [r.stable, r.version], outputOf(plan), { version: r.version, requests: plan.exclude?.requests ?? 0 })
      try {
        if (!(await this.#o.coordination.lease(model))) {
          this.#leased.delete(model)
          continue
        }
        this.#leased.add(model)
        if (r.status === 'paused') continue
        const drift = drifted(ms, r)
        if (drift !== null) {
          await this.#write(model, state.revision, supersede(model, r, drift, this.#now()), 'rollout-superseded', { reason: drift })
          await this.#journal(model, r, { action: 'superseded', reason: drift, step: r.step, weight: 0, checks: [], at: this.#now() })
          continue
        }
        await this.#analyse(model, r, plan, state.revision)
      } catch (err) {
        this.#logger.error({ err, model }, 'rollout controller pass failed; retrying next tick')
      }
    }
    await this.#admitQueued()
  }

  /**
   * Any instance may admit: the bound is checked inside the compare-and-set, so
   * racing admissions cannot overshoot it; the loser re-reads on its next tick.
   */
  async #admitQueued (): Promise<void> {
    const max = this.#o.maxInProgress
    if (max == null || this.#closed) return
    for (;;) {
      const state = this.#o.store.get()
      const next = queued(state)[0]
      if (next === undefined || inProgress(state) >= max) return
      const ctx: WriteContext = { now: this.#now(), holdbackMs: this.#o.holdbackMs ?? DEFAULT_HOLDBACK_MS, actor: `rollout-controller@${this.#o.instanceId}` }
      try {
        await this.#o.store.update(state.revision, admitNext(max, ctx), { actor: ctx.actor, action: 'rollout-admit', model: next.model, detail: { version: next.rollout.version, waitedMs: ctx.now - next.rollout.startedAt } })
        await this.#journal(next.model, next.rollout, { action: 'admit', reason: `admitted from the release queue after ${seconds(ctx.now - next.rollout.startedAt)}`, step: 0, weight: 0, checks: [], at: ctx.now })
      } catch (err) {
        if (!(err instanceof GatewayError)) this.#logger.error({ err }, 'admitting a queued rollout failed')
        return
      }
    }
  }

  async #analyse (model: string, r: RolloutRecord, plan: RolloutPlan, revision: number): Promise<void> {
    const now = this.#now()
    const key = `${r.id}/${r.step}/${r.status}`
    const last = this.#last.get(model)
    if (last !== undefined && last.key === key && now - last.at < plan.intervalMs) return
    this.#last.set(model, { key, at: now })
    const ev = await this.#evaluate(model, r, plan, now)
    this.#staleness(model, r, ev)
    const decision = plan.experiment === undefined ? decide(r, plan, ev) : decideExperiment(r, plan, ev)
    await this.#journal(model, r, decision)
    this.#logger.info({ model, version: r.version, action: decision.action, step: decision.step, weight: decision.weight, reason: decision.reason, checks: decision.checks.map(c => ({ check: c.check, verdict: c.verdict, figures: c.figures })) }, 'rollout decision')
    this.#o.onDecision?.(model, r, decision)
    if (decision.next === null) return
    const ctx: WriteContext = { now: decision.at, holdbackMs: this.#o.holdbackMs ?? DEFAULT_HOLDBACK_MS, actor: `rollout-controller@${this.#o.instanceId}` }
    // A verify step's record is stored with the version, in the same write as the step's outcome.
    const task = this.#tasks.get(model)
    const verified = task?.key === `${r.id}/${r.step}` && task.result !== null && !(task.result instanceof Error) ? task.result.record : null
    if (task?.key === `${r.id}/${r.step}`) this.#tasks.delete(model)
    const also = verified === null ? undefined : recordVerification(model, r.version, verified)
    const written = await this.#write(model, revision, applyDecision(model, r, decision.next, ctx, also), `rollout-${decision.action}`, {
      version: r.version, reason: decision.reason, step: decision.step, weight: decision.weight, checks: decision.checks.map(c => ({ check: c.check, verdict: c.verdict, figures: c.figures, ...(c.segment === undefined ? {} : { segment: c.segment }) }))
    })
    if (written) this.#o.events?.emit(rolloutEvent(model, decision.next, `rollout.${decision.action}`, this.#o.instanceId, decision.at, decision.checks))
  }

  /** An event when a model's analysis data goes missing or stale, and one when it is back. */
  #staleness (model: string, r: RolloutRecord, ev: Evaluation): void {
    const down = ev.source === 'down'
    if (down === this.#stale.has(model)) return
    if (down) this.#stale.add(model)
    else this.#stale.delete(model)
    this.#o.events?.emit({ event: 'staleness', type: down ? 'staleness.stale' : 'staleness.recovered', model, version: r.version, at: new Date(ev.at).toISOString(), instanceId: this.#o.instanceId, source: this.#o.source.name, ...(down ? { error: ev.error ?? '' } : {}) })
  }

  async #evaluate (model: string, r: RolloutRecord, plan: RolloutPlan, now: number): Promise<Evaluation> {
    // A rollback drill: the same decision, write and propagation as a real failure, on purpose.
    if (r.drill === true && r.status === 'running') return { at: now, source: 'ok', checks: [{ check: 'drill', verdict: 'fail', summary: 'rollback drill: this copy of stable is rolled back on purpose', figures: {} }] }
    const step = r.status === 'watching' ? undefined : plan.steps[r.step]
    if (step?.kind === 'verify' || step?.kind === 'warmup') return this.#task(model, r, step, now)
    if (step?.kind === 'shadow') {
      if (this.#o.shadow === undefined) return { at: now, source: 'down', error: 'no shadow evidence on this instance', checks: [] }
      try {
        return { at: now, source: 'ok', checks: shadowChecks(step, await this.#o.shadow.summary(model, r.version, r.stepStartedAt, step.tolerance)) }
      } catch (err) {
        return { at: now, source: 'down', error: `shadow pairs: ${(err as Error).message}`, checks: [] }
      }
    }
    const watching = r.status === 'watching' && r.baseline != null
    const q: WindowQuery = {
      model,
      stable: r.stable,
      canary: r.version,
      from: watching ? r.promotedAt ?? r.stepStartedAt : coldEnd(r, plan),
      to: now,
      output: outputOf(plan),
      outcomes: outcomesQuery(plan.checks.outcomes),
      ...(watching ? { stableRange: { from: r.baseline!.from, to: r.baseline!.to } } : {})
    }
    let data
    try {
      data = await this.#o.source.window(q)
    } catch (err) {
      return { at: now, source: 'down', error: `${this.#o.source.name} source: ${(err as Error).message}`, checks: [] }
    }
    const stale = this.#o.staleAfterMs ?? DEFAULT_ROLLOUT_STALE_AFTER_MS
    if (data.newestAt === null) return { at: now, source: 'down', error: `${this.#o.source.name} source holds no data for "${model}"`, checks: [] }
    if (now - data.newestAt > stale) return { at: now, source: 'down', error: `${this.#o.source.name} source is stale: newest data ${Math.round((now - data.newestAt) / 1000)}s old (limit ${Math.round(stale / 1000)}s)`, checks: [] }
    const segments = this.#o.segmentCount?.(model) ?? 0
    const scope = segments === 0 ? null : { count: plan.segments == null ? segments : plan.segments.length, limitTo: plan.segments ?? null }
    return { at: now, source: 'ok', checks: analyseWithSegments(plan.checks, data, watching ? watchAlphas(plan) : stepAlphas(plan), scope) }
  }

  /** Starts the step's work once; answers "running" (no checks) until it is done. */
  #task (model: string, r: RolloutRecord, step: TaskStep, now: number): Evaluation {
    const key = `${r.id}/${r.step}`
    let task = this.#tasks.get(model)
    if (task === undefined || task.key !== key) {
      const t: StepTask = task = { key, result: null }
      this.#tasks.set(model, t)
      this.#run(model, r, step).then(v => { t.result = v }, (err: unknown) => { t.result = err as Error })
    }
    if (task.result === null) return { at: now, source: 'ok', checks: [] }
    if (task.result instanceof Error) {
      // Tried again at the next look.
      this.#tasks.delete(model)
      return { at: now, source: 'down', error: task.result.message, checks: [] }
    }
    return { at: now, source: 'ok', checks: task.result.checks }
  }

  async #run (model: string, r: RolloutRecord, step: TaskStep): Promise<{ checks: CheckResult[], record: VerificationRecord | null }> {
    if (step.kind === 'warmup') {
      if (this.#o.warmer === undefined) throw new Error('no warmer on this instance')
      return { checks: await this.#o.warmer.run(model, r.version, step), record: null }
    }
    if (this.#o.verifier === undefined) throw new Error('no verifier on this instance')
    const record = await this.#o.verifier.run(model, r.version, step.suites, `rollout-controller@${this.#o.instanceId}`)
    return { checks: verificationChecks(record), record }
  }

  /** Whether the write went through. */
  async #write (model: string, revision: number, op: Parameters<StateStore['update']>[1], action: string, detail: Record<string, unknown>): Promise<boolean> {
    try {
      await this.#o.store.update(revision, op, { actor: `rollout-controller@${this.#o.instanceId}`, action, model, detail })
      return true
    } catch (err) {
      // Stale revision or a changed rollout: someone else wrote first; the next tick reads the new state.
      if (err instanceof GatewayError && err.code === 'GW_CONFLICT') {
        this.#logger.info({ model, action, err: err.message }, 'rollout decision not applied: the state changed meanwhile')
        return false
      }
      throw err
    }
  }

  async #journal (model: string, r: RolloutRecord, d: Pick<Decision, 'at' | 'step' | 'weight' | 'reason' | 'checks'> & { action: JournalEntry['action'] }): Promise<void> {
    const e: JournalEntry = {
      at: d.at,
      instanceId: this.#o.instanceId,
      action: d.action,
      step: d.step,
      weight: d.weight,
      reason: d.reason,
      checks: d.checks.map(c => ({ check: c.check, verdict: c.verdict, summary: c.summary, figures: c.figures, ...(c.segment === undefined ? {} : { segment: c.segment }) })),
      rolloutId: r.id
    }
    try {
      await this.#o.coordination.append(model, e)
    } catch (err) {
      this.#logger.warn({ err: (err as Error).message, model }, 'rollout journal write failed (the decision is still logged here)')
    }
  }
}
