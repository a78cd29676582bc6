/**
 * The rollout plan: steps of canary weight and bake time, manual gates, the
 * checks with their thresholds, and what to do when data is short or missing.
 * Written in YAML (under a model's `release.rollout`, or a file given to the CLI
 * or admin API); validated here by hand so every error names the field path
 * (and the file) and says what is wrong. The validated plan is plain JSON: it is
 * stored with the rollout in the routing state.
 */
import { parse as parseYaml } from 'yaml'
import { int, known, mapping, num, parseDuration, parseWeight, show } from './plan-fields.js'
import { parseOutcomesCheck, type OutcomesCheck } from './outcomes-check.js'
import { expandExperiment, type ExperimentPlan } from './experiment-plan.js'

export { parseDuration, parseWeight }

export type Step = { kind: 'weight', weight: number, bakeMs: number } | { kind: 'gate' }

export interface ErrorsCheck {
  /** Canary error rate may exceed stable's by this much (absolute, 0.005 = half a point) before it counts as worse. */
  maxIncrease: number
  minRequests: number
}
export interface LatencyCheck {
  /** Highest allowed canary/stable ratio per quantile, e.g. { p50: 1.5, p95: 2 }. */
  maxRatio: Record<string, number>
  /** A quantile also has to be this many ms slower than stable's to count (a 2 ms vs 4 ms answer is not a regression). */
  minIncreaseMs: number
  minRequests: number
}
export interface OutputsCheck {
  /** Output tensor name in the OIP response (outputs[].name); null: the first output. */
  output: string | null
  /** Element of that output's data to watch (0: the first row's prediction). */
  index: number
  maxPsi: number
  /** Largest tolerated absolute difference of the mean prediction. */
  maxMeanShift: number
  minSamples: number
}
export interface Checks {
  errors?: ErrorsCheck
  latency?: LatencyCheck
  outputs?: OutputsCheck
  /** Labels or business values of matured requests (outcomes-check.ts). */
  outcomes?: OutcomesCheck
}

export interface RolloutPlan {
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
  /** Bound on the chance a good canary is rolled back, over the whole rollout (split across checks). */
  alpha: number
  /** An experiment instead of steps: one split held until the outcomes check decides (experiment-plan.ts). */
  experiment?: ExperimentPlan
}

export const CHECK_NAMES = ['errors', 'latency', 'outputs', 'outcomes'] as const
export const DEFAULT_INTERVAL_MS = 30_000
export const DEFAULT_MAX_EXTENSION_MS = 10 * 60_000
export const DEFAULT_NO_DATA_ROLLBACK_MS = 15 * 60_000
export const DEFAULT_ALPHA = 0.01
export const MAX_STEPS = 50

export class PlanError extends Error {
  constructor (readonly source: string, readonly path: string, readonly reason: string) {
    super(`${source}: ${path === '' ? '(root)' : path}: ${reason}`)
    this.name = 'PlanError'
  }
}

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
export function validatePlan (raw: unknown, source = 'plan'): RolloutPlan {
  const fail = (path: string, reason: string): never => { throw new PlanError(source, path, reason) }
  const obj = { ...mapping(raw, '', fail) }
  known(obj, '', ['steps', 'checks', 'interval', 'maxExtension', 'onNoData', 'noDataRollbackAfter', 'alpha', 'experiment'], fail)
  const experiment = expandExperiment(obj, fail)

  if (!Array.isArray(obj.steps) || obj.steps.length === 0) fail('steps', 'must be a list of at least one step')
  const rawSteps = obj.steps as unknown[]
  if (rawSteps.length > MAX_STEPS) fail('steps', `has ${rawSteps.length} steps; at most ${MAX_STEPS}`)
  const steps: Step[] = []
  let last = 0
  rawSteps.forEach((s, i) => {
    const p = `steps[${i}]`
    const st = mapping(s, p, fail)
    if (st.gate !== undefined) {
      known(st, p, ['gate'], fail)
      if (st.gate !== 'manual' && st.gate !== true) fail(`${p}.gate`, `must be "manual", got ${show(st.gate)}`)
      steps.push({ kind: 'gate' })
      return
    }
    known(st, p, ['weight', 'bake'], fail)
    if (st.weight === undefined) fail(p, 'needs weight (e.g. 5%) and bake (e.g. 10m), or is a gate (gate: manual)')
    const weight = parseWeight(st.weight, `${p}.weight`, fail)
    if (weight <= last) fail(`${p}.weight`, `${formatBp(weight)} must be more than the previous step's ${formatBp(last)} (weights only grow)`)
    if (st.bake === undefined) fail(`${p}.bake`, 'is required (how long the step runs before it may advance, e.g. 5m)')
    const bakeMs = parseDuration(st.bake, `${p}.bake`, fail)
    if (bakeMs <= 0) fail(`${p}.bake`, 'must be more than zero')
    last = weight
    steps.push({ kind: 'weight', weight, bakeMs })
  })
  if (!steps.some(s => s.kind === 'weight')) fail('steps', 'must have at least one weight step')

  const checksRaw = obj.checks === undefined ? { errors: {} } : mapping(obj.checks, 'checks', fail)
  const checks: Checks = {}
  for (const name of Object.keys(checksRaw)) {
    if (!(CHECK_NAMES as readonly string[]).includes(name)) fail(`checks.${name}`, `unknown check (known: ${CHECK_NAMES.join(', ')})`)
  }
  if (checksRaw.errors !== undefined) {
    const c = mapping(checksRaw.errors ?? {}, 'checks.errors', fail)
    known(c, 'checks.errors', ['maxIncrease', 'minRequests'], fail)
    checks.errors = {
      maxIncrease: num(c.maxIncrease, 'checks.errors.maxIncrease', 0, 1, 0.005, fail),
      minRequests: int(c.minRequests, 'checks.errors.minRequests', 1, 1e9, 200, fail)
    }
  }
  if (checksRaw.latency !== undefined) {
    const c = mapping(checksRaw.latency ?? {}, 'checks.latency', fail)
    known(c, 'checks.latency', ['maxRatio', 'minIncreaseMs', 'minRequests'], fail)
    const ratios = c.maxRatio === undefined ? { p50: 1.5, p95: 1.5 } : mapping(c.maxRatio, 'checks.latency.maxRatio', fail)
    const maxRatio: Record<string, number> = {}
    for (const [q, v] of Object.entries(ratios)) {
      const m = /^p(\d{1,2}(\.\d+)?)$/.exec(q)
      if (m === null || Number(m[1]) <= 0) fail(`checks.latency.maxRatio.${q}`, 'must name a quantile like p50, p95 or p99.9')
      maxRatio[q] = num(v, `checks.latency.maxRatio.${q}`, 1, 1000, 1.5, fail)
    }
    if (Object.keys(maxRatio).length === 0) fail('checks.latency.maxRatio', 'must name at least one quantile')
    checks.latency = {
      maxRatio,
      minIncreaseMs: num(c.minIncreaseMs, 'checks.latency.minIncreaseMs', 0, 1e6, 5, fail),
      minRequests: int(c.minRequests, 'checks.latency.minRequests', 1, 1e9, 200, fail)
    }
  }
  if (checksRaw.outputs !== undefined) {
    const c = mapping(checksRaw.outputs ?? {}, 'checks.outputs', fail)
    known(c, 'checks.outputs', ['output', 'index', 'maxPsi', 'maxMeanShift', 'minSamples'], fail)
    if (c.output !== undefined && (typeof c.output !== 'string' || c.output === '')) fail('checks.outputs.output', `must be an output name, got ${show(c.output)}`)
    checks.outputs = {
      output: (c.output as string | undefined) ?? null,
      index: int(c.index, 'checks.outputs.index', 0, 1e6, 0, fail),
      maxPsi: num(c.maxPsi, 'checks.outputs.maxPsi', 0, 100, 0.2, fail),
      maxMeanShift: num(c.maxMeanShift, 'checks.outputs.maxMeanShift', 0, 1e12, 0.05, fail),
      minSamples: int(c.minSamples, 'checks.outputs.minSamples', 2, 1e7, 100, fail)
    }
  }
  if (checksRaw.outcomes !== undefined) checks.outcomes = parseOutcomesCheck(checksRaw.outcomes, fail)
  if (Object.keys(checks).length === 0) fail('checks', 'must enable at least one check (errors, latency, outputs, outcomes)')
  if (experiment !== undefined && checks.outcomes === undefined) fail('checks.outcomes', 'is required in an experiment: it is the test that decides the winner')

  if (obj.onNoData !== undefined && obj.onNoData !== 'hold' && obj.onNoData !== 'fail') fail('onNoData', `must be "hold" or "fail", got ${show(obj.onNoData)}`)
  const intervalMs = obj.interval === undefined ? DEFAULT_INTERVAL_MS : parseDuration(obj.interval, 'interval', fail)
  if (intervalMs < 100) fail('interval', 'must be at least 100ms')
  return {
    steps,
    checks,
    intervalMs,
    maxExtensionMs: obj.maxExtension === undefined ? DEFAULT_MAX_EXTENSION_MS : parseDuration(obj.maxExtension, 'maxExtension', fail),
    onNoData: (obj.onNoData as 'hold' | 'fail' | undefined) ?? 'hold',
    noDataRollbackAfterMs: obj.noDataRollbackAfter === undefined ? DEFAULT_NO_DATA_ROLLBACK_MS : parseDuration(obj.noDataRollbackAfter, 'noDataRollbackAfter', fail),
    alpha: num(obj.alpha, 'alpha', 1e-9, 0.5, DEFAULT_ALPHA, fail),
    ...(experiment === undefined ? {} : { experiment })
  }
}

export function formatBp (bp: number): string {
  return `${(bp / 100).toFixed(2).replace(/\.?0+$/, '')}%`
}

/** Weight steps only, in order (what the canary goes through before promotion). */
export function weightSteps (plan: RolloutPlan): Array<{ index: number, weight: number, bakeMs: number }> {
  const out: Array<{ index: number, weight: number, bakeMs: number }> = []
  plan.steps.forEach((s, index) => { if (s.kind === 'weight') out.push({ index, weight: s.weight, bakeMs: s.bakeMs }) })
  return out
}

/**
 * The most analysis looks a plan can take: per weight step, its bake time plus
 * the longest extension, divided by the interval. The fixed-sample tests run at
 * alpha / looks (Bonferroni over looks).
 */
export function maxLooks (plan: RolloutPlan): number {
  let n = 0
  for (const s of weightSteps(plan)) n += Math.ceil((s.bakeMs + plan.maxExtensionMs) / plan.intervalMs) + 1
  return Math.max(1, n)
}
