/**
 * The rollout plan: steps (canary weights with bake times, blue-green preview
 * analysis, manual gates and approvals), the checks with their thresholds, what
 * to do when data is short or missing, and what happens after promotion (the
 * holdback of the previous version and the post-promotion watch). Written in
 * YAML (under a model's `release.rollout`, a template, or a file given to the
 * CLI or admin API); validated here by hand so every error names the field path
 * (and the file) and says what is wrong. The validated plan is plain JSON: it is
 * stored with the rollout in the routing state.
 */
import { parse as parseYaml } from 'yaml'
import './builtin-checks.js'
import './outcomes-check.js'
import type { Alphas, Checks } from './analysis.js'
import { checkKind, checkKindNames } from './check-registry.js'
import { duration, failFor, formatBp, int, known, mapping, names, num, parseDuration, PlanError, show, type Fail } from './plan-fields.js'
import { isJudged, parseStep, type JudgedStep, type Step } from './plan-steps.js'
import type { WindowQuery } from './source.js'
import type { RolloutRecord } from '../state/rollout-record.js'
import { expandExperiment, type ExperimentPlan } from './experiment-plan.js'

export { PlanError, parseDuration, parseWeight, formatBp } from './plan-fields.js'
export type { Step, WeightStep, PreviewStep, JudgedStep } from './plan-steps.js'
export type { Checks, ErrorsCheck, LatencyCheck, OutputsCheck } from './analysis.js'

export type PlanStrategy = 'canary' | 'blue-green'

/** The first requests (or seconds) of the candidate that analysis leaves out: its cold start. */
export interface ExcludePlan {
  /** Per replica of the candidate: its first this-many requests (the local source). */
  requests: number
  /** The candidate's first this-many ms of traffic in the rollout (any source). */
  durationMs: number
}

export interface WatchPlan {
  /** How long the promoted version is judged against the previous one before the rollout is done. */
  durationMs: number
}

export interface RolloutPlan {
  /** canary: weight steps, then promote; blue-green: preview analysis, then the switch. */
  strategy: PlanStrategy
  steps: Step[]
  checks: Checks
  /** How often the analysis runs. */
  intervalMs: number
  /** How long a step may be extended past its bake time while a check is inconclusive. */
  maxExtensionMs: number
  /** After the longest extension, or while the source is down: hold at the weight, or fail (roll back). */
  onNoData: 'hold' | 'fail'
  /** Held without data (or with the source down) this long: roll back. */
  noDataRollbackAfterMs: number
  /** Bound on the chance a good canary is rolled back, over the whole rollout (split across checks); the watch has its own. */
  alpha: number
  /** After promotion the previous version stays held back this long (null: the config's rollouts.holdback). */
  holdbackMs: number | null
  /** The post-promotion watch, or null for none. */
  watch: WatchPlan | null
  /** What analysis leaves out of the candidate's cold start, or null. */
  exclude: ExcludePlan | null
  /** A canary only these segments of users see (the model's segments), or null for everyone. */
  segments: string[] | null  /** An experiment instead of steps: one split held until the outcomes check decides (experiment-plan.ts). */
  experiment?: ExperimentPlan
}

export const PLAN_KEYS = ['strategy', 'steps', 'checks', 'interval', 'maxExtension', 'onNoData', 'noDataRollbackAfter', 'alpha', 'holdback', 'watch', 'exclude', 'segments', 'experiment'] as const
export const DEFAULT_INTERVAL_MS = 30_000
export const DEFAULT_MAX_EXTENSION_MS = 10 * 60_000
export const DEFAULT_NO_DATA_ROLLBACK_MS = 15 * 60_000
export const DEFAULT_ALPHA = 0.01
export const MAX_STEPS = 50

/** Parses YAML (or JSON, which is YAML) text and validates it; `source` names the file in errors. */
export function parsePlanText (text: string, source: string): RolloutPlan {
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (err) {
    throw new PlanError(source, '', `not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
  return validatePlan(raw, source)
}

/** Checks a parsed plan; throws PlanError naming `source`, the field path and the reason. */
/**
 * The plan a stored rollout carries. The state layer keeps it as JSON it does
 * not read; every plan is validated (validatePlan) before it is stored, so this
 * is the one place that reads it back as a RolloutPlan.
 */
export function planOf (r: Pick<RolloutRecord, 'plan'>): RolloutPlan {
  return r.plan as RolloutPlan
}

export function validatePlan (raw: unknown, source = 'plan'): RolloutPlan {
  const fail = failFor(source)
  // A copy: an experiment writes the one step it stands for into it.
  const obj = { ...mapping(raw, '', fail) }
  known(obj, '', PLAN_KEYS, fail)
  if (obj.strategy !== undefined && obj.strategy !== 'canary' && obj.strategy !== 'blue-green') fail('strategy', `must be "canary" or "blue-green", got ${show(obj.strategy)}`)
  const strategy = (obj.strategy as PlanStrategy | undefined) ?? 'canary'
  if (strategy === 'blue-green' && obj.experiment !== undefined) fail('experiment', 'holds a split between two versions; a blue-green switch moves everyone (use strategy: canary)')
  const experiment = expandExperiment(obj, fail)
  const steps = validateSteps(obj.steps, strategy, fail)
  const checks = validateChecks(obj.checks, fail)
  if (experiment !== undefined) {
    const oc = checks.outcomes
    if (oc === undefined) return fail('checks.outcomes', 'is required in an experiment: it is the test that decides the winner')
    checks.outcomes = { ...oc, experiment: true }
  }
  if (strategy === 'blue-green' && obj.segments !== undefined) fail('segments', 'limits a canary to segments; a blue-green switch moves everyone')
  if (obj.onNoData !== undefined && obj.onNoData !== 'hold' && obj.onNoData !== 'fail') fail('onNoData', `must be "hold" or "fail", got ${show(obj.onNoData)}`)
  const intervalMs = duration(obj.interval, 'interval', DEFAULT_INTERVAL_MS, fail)
  if (intervalMs < 100) fail('interval', 'must be at least 100ms')
  return {
    strategy,
    steps,
    checks,
    intervalMs,
    maxExtensionMs: duration(obj.maxExtension, 'maxExtension', DEFAULT_MAX_EXTENSION_MS, fail),
    onNoData: (obj.onNoData as 'hold' | 'fail' | undefined) ?? 'hold',
    noDataRollbackAfterMs: duration(obj.noDataRollbackAfter, 'noDataRollbackAfter', DEFAULT_NO_DATA_ROLLBACK_MS, fail),
    alpha: num(obj.alpha, 'alpha', 1e-9, 0.5, DEFAULT_ALPHA, fail),
    holdbackMs: obj.holdback === undefined ? null : parseDuration(obj.holdback, 'holdback', fail),
    watch: validateWatch(obj.watch, fail),
    exclude: validateExclude(obj.exclude, fail),
    segments: obj.segments === undefined || obj.segments === null ? null : names(obj.segments, 'segments', SEGMENT_RE, fail),
    ...(experiment === undefined ? {} : { experiment })
  }
}

const SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

function validateExclude (raw: unknown, fail: Fail): ExcludePlan | null {
  if (raw === undefined || raw === null) return null
  const o = mapping(raw, 'exclude', fail)
  known(o, 'exclude', ['requests', 'duration'], fail)
  if (o.requests === undefined && o.duration === undefined) fail('exclude', 'needs requests (per replica) or duration, or both')
  return { requests: int(o.requests, 'exclude.requests', 0, 1e7, 0, fail), durationMs: duration(o.duration, 'exclude.duration', 0, fail) }
}

function validateSteps (raw: unknown, strategy: PlanStrategy, fail: Fail): Step[] {
  if (!Array.isArray(raw) || raw.length === 0) fail('steps', 'must be a list of at least one step')
  const list = raw as unknown[]
  if (list.length > MAX_STEPS) fail('steps', `has ${list.length} steps; at most ${MAX_STEPS}`)
  const steps: Step[] = []
  let last = 0
  list.forEach((s, i) => {
    const p = `steps[${i}]`
    const step = parseStep(mapping(s, p, fail), p, fail)
    if (step.kind === 'weight') {
      if (strategy === 'blue-green') fail(`${p}.weight`, 'a blue-green plan switches all traffic at once: use preview steps, not weights (or strategy: canary)')
      if (step.weight <= last) fail(`${p}.weight`, `${formatBp(step.weight)} must be more than the previous step's ${formatBp(last)} (weights only grow)`)
      last = step.weight
    }
    if (step.kind === 'preview' && strategy !== 'blue-green') fail(`${p}.preview`, 'preview steps judge a blue-green preview; this plan is a canary (set strategy: blue-green)')
    steps.push(step)
  })
  if (strategy === 'canary' && !steps.some(s => s.kind === 'weight')) fail('steps', 'must have at least one weight step')
  if (strategy === 'blue-green' && !steps.some(s => s.kind === 'preview')) fail('steps', 'a blue-green plan needs at least one preview step (the preview judged before the switch)')
  return steps
}

function validateChecks (raw: unknown, fail: Fail): Checks {
  const given = raw === undefined ? { errors: {} } : mapping(raw, 'checks', fail)
  const known = checkKindNames()
  for (const name of Object.keys(given)) if (!known.includes(name)) fail(`checks.${name}`, `unknown check (known: ${known.join(', ')})`)
  const checks: Checks = {}
  // Registry order, so results always come in the same order whatever the plan's key order.
  for (const name of known) {
    if (given[name] === undefined) continue
    checks[name] = checkKind(name)!.parse(mapping(given[name] ?? {}, `checks.${name}`, fail), `checks.${name}`, fail)
  }
  if (Object.keys(checks).length === 0) fail('checks', `must enable at least one check (${known.join(', ')})`)
  return checks
}

function validateWatch (raw: unknown, fail: Fail): WatchPlan | null {
  if (raw === undefined || raw === null) return null
  const o = mapping(raw, 'watch', fail)
  known(o, 'watch', ['duration'], fail)
  if (o.duration === undefined) fail('watch.duration', 'is required (how long the promoted version is watched, e.g. 30m)')
  const durationMs = parseDuration(o.duration, 'watch.duration', fail)
  if (durationMs <= 0) fail('watch.duration', 'must be more than zero')
  return { durationMs }
}

/**
 * Steps whose window the check kinds judge (weights, previews), in order: what
 * the alpha is spread over. Shadow steps judge by fixed thresholds, not tests.
 */
export function judgedSteps (plan: RolloutPlan): Array<{ index: number, step: JudgedStep }> {
  const out: Array<{ index: number, step: JudgedStep }> = []
  plan.steps.forEach((step, index) => { if (isJudged(step) && step.kind !== 'shadow') out.push({ index, step }) })
  return out
}

/** Whether a verify step comes before the candidate's first weight (then the verification gate is its job, not the start's). */
export function verifiesBeforeWeight (plan: RolloutPlan): boolean {
  for (const s of plan.steps) {
    if (s.kind === 'verify') return true
    if (s.kind === 'weight') return false
  }
  return false
}

/** The suites a plan's verify and warm-up steps name. */
export function planSuites (plan: RolloutPlan): string[] {
  return [...new Set(plan.steps.flatMap(s => s.kind === 'verify' ? s.suites : s.kind === 'warmup' ? [s.suite] : []))]
}

/** Weight steps only, in order (what a canary goes through before promotion). */
export function weightSteps (plan: RolloutPlan): Array<{ index: number, weight: number, bakeMs: number }> {
  const out: Array<{ index: number, weight: number, bakeMs: number }> = []
  plan.steps.forEach((s, index) => { if (s.kind === 'weight') out.push({ index, weight: s.weight, bakeMs: s.bakeMs }) })
  return out
}

/**
 * The most analysis looks a plan can take before promotion: per judged step,
 * its bake time plus the longest extension, divided by the interval. The
 * fixed-sample tests run at alpha / looks (Bonferroni over looks).
 */
export function maxLooks (plan: RolloutPlan): number {
  let n = 0
  for (const { step } of judgedSteps(plan)) n += Math.ceil((step.bakeMs + plan.maxExtensionMs) / plan.intervalMs) + 1
  return Math.max(1, n)
}

/** Alphas before promotion: split over the checks, sequential tests per judged step, the others per look. */
export function stepAlphas (plan: RolloutPlan): Alphas {
  const perCheck = plan.alpha / Math.max(1, Object.keys(plan.checks).length)
  return { sequential: perCheck / Math.max(1, judgedSteps(plan).length), perLook: perCheck / maxLooks(plan) }
}

/** Alphas of the post-promotion watch: one window, looks over its duration. */
export function watchAlphas (plan: RolloutPlan): Alphas {
  const perCheck = plan.alpha / Math.max(1, Object.keys(plan.checks).length)
  const looks = plan.watch == null ? 1 : Math.ceil(plan.watch.durationMs / plan.intervalMs) + 1
  return { sequential: perCheck, perLook: perCheck / looks }
}

/** The output the sources must collect for the plan's checks (the first check kind that names one). */
export function outputOf (plan: RolloutPlan): WindowQuery['output'] {
  for (const [name, config] of Object.entries(plan.checks)) {
    const o = checkKind(name)?.output?.(config)
    if (o != null) return o
  }
  return null
}
