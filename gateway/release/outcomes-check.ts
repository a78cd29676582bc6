/**
 * The `outcomes` check: canary against stable on what their requests turned
 * out to be — a label metric (accuracy, log loss, Brier, MAE) or a business
 * value (mean per request, rate) — counting only requests older than the
 * maturity delay, whose outcomes had time to arrive. It catches a canary whose
 * outputs look like stable's but are wrong more often, which no check on the
 * outputs alone can.
 *
 * In a rollout: fails when the canary is worse by more than minEffect (an
 * always-valid mSPRT, outcome-stats.ts), passes once both versions have
 * minSamples matured samples and it is not, else inconclusive. In an
 * experiment (experiment-plan.ts) the same test runs both ways: pass when the
 * canary is better by more than minEffect, fail when stable is, each side at
 * half the check's alpha.
 *
 * Needs outcomes in ClickHouse (the ledger and the outcomes tables): the local
 * source has no outcomes, so plans with this check need rollouts.source clickhouse.
 */
import { BETTER, emptySums, sampleOf, TESTABLE_METRICS, type Direction, type OutcomeSums, type TestableMetric } from '../outcomes/metrics.js'
import { DEFAULT_OUTCOME_THRESHOLD } from '../config/defaults.js'
import { meanMsprt } from './outcome-stats.js'
import { int, known, mapping, num, parseDuration, show, type Fail } from './plan-fields.js'
import { registerCheckKind } from './check-registry.js'
import type { WindowData, WindowQuery } from './source.js'

export interface OutcomesCheck {
  metric: TestableMetric
  /** Which way is better (default: the metric's own: higher accuracy and value, lower losses). */
  direction: Direction
  /** The canary counts as worse (or, in an experiment, better) only by more than this, in the metric's units. */
  minEffect: number
  /** Only requests older than this count. */
  maturityMs: number
  /** Matured samples per version (scored requests for label metrics, requests for value metrics) before a verdict. */
  minSamples: number
  /** Binary labels: predictions at or above it count as 1 (accuracy). */
  threshold: number
  /** Scale of the mSPRT's normal mixture: the size of a difference that matters, in the metric's units. */
  mixture: number
  /** Set by an experiment plan: the test runs both ways and passes only on a winner. */
  experiment?: boolean
}

export const OUTCOMES_KEYS = ['metric', 'direction', 'minEffect', 'maturity', 'minSamples', 'threshold', 'mixture'] as const
export const DEFAULT_MATURITY_MS = 3_600_000
export const DEFAULT_MIN_OUTCOME_SAMPLES = 500
/** Mixture scale at least (default max(minEffect, this)): five points of accuracy or rate; set `mixture` for values in other units. */
export const DEFAULT_MIXTURE = 0.05

export function parseOutcomesCheck (raw: unknown, fail: Fail, path = 'checks.outcomes'): OutcomesCheck {
  const c = mapping(raw ?? {}, path, fail)
  known(c, path, OUTCOMES_KEYS, fail)
  if (typeof c.metric !== 'string' || !(TESTABLE_METRICS as readonly string[]).includes(c.metric)) fail(`${path}.metric`, `must be one of ${TESTABLE_METRICS.join(', ')}, got ${show(c.metric)}`)
  const metric = c.metric as TestableMetric
  if (c.direction !== undefined && c.direction !== 'higher' && c.direction !== 'lower') fail(`${path}.direction`, `must be "higher" or "lower" (which way is better), got ${show(c.direction)}`)
  const minEffect = num(c.minEffect, `${path}.minEffect`, 0, 1e12, 0, fail)
  return {
    metric,
    direction: (c.direction as Direction | undefined) ?? BETTER[metric],
    minEffect,
    maturityMs: c.maturity === undefined ? DEFAULT_MATURITY_MS : parseDuration(c.maturity, `${path}.maturity`, fail),
    minSamples: int(c.minSamples, `${path}.minSamples`, 2, 1e9, DEFAULT_MIN_OUTCOME_SAMPLES, fail),
    threshold: num(c.threshold, `${path}.threshold`, 0, 1, DEFAULT_OUTCOME_THRESHOLD, fail),
    mixture: num(c.mixture, `${path}.mixture`, 1e-9, 1e12, Math.max(minEffect, DEFAULT_MIXTURE), fail)
  }
}

/** What the analysis source must fetch for the check (null when the plan has none). */
export function outcomesQuery (c: OutcomesCheck | undefined): WindowQuery['outcomes'] {
  return c === undefined ? null : { maturityMs: c.maturityMs, threshold: c.threshold }
}

/** Why a plan with this check cannot run on the given source, or null when it can. */
export function outcomesSourceProblem (c: OutcomesCheck | undefined, source: 'local' | 'clickhouse'): string | null {
  if (c === undefined || source === 'clickhouse') return null
  return 'checks.outcomes needs rollouts.source "clickhouse": outcomes arrive by request id into ClickHouse (the ledger and the outcomes tables), and this instance\'s own window has none'
}

export interface OutcomesResult {
  check: 'outcomes'
  verdict: 'pass' | 'fail' | 'inconclusive'
  summary: string
  figures: Record<string, number | null>
}

export function outcomesCheck (c: OutcomesCheck, d: WindowData, alpha: number, experiment = c.experiment === true): OutcomesResult {
  const o = d.outcomes
  const none = emptySums()
  const k = sampleOf(o?.canary ?? none, c.metric)
  const s = sampleOf(o?.stable ?? none, c.metric)
  const bernoulli = c.metric === 'accuracy' || c.metric === 'value-rate'
  // Oriented so that positive means the canary is better.
  const sign = c.direction === 'higher' ? 1 : -1
  const better = meanMsprt(sign > 0 ? k : s, sign > 0 ? s : k, c.minEffect, c.mixture, bernoulli)
  const worse = meanMsprt(sign > 0 ? s : k, sign > 0 ? k : s, c.minEffect, c.mixture, bernoulli)
  const side = experiment ? alpha / 2 : alpha
  const figures: Record<string, number | null> = {
    canarySamples: k.n,
    stableSamples: s.n,
    canaryValue: finite(k.mean),
    stableValue: finite(s.mean),
    difference: finite(k.mean - s.mean),
    pWorse: worse.pValue,
    pBetter: better.pValue,
    alpha: side,
    canaryCoverage: coverage(o?.canary),
    stableCoverage: coverage(o?.stable),
    matureBefore: o?.matureBefore ?? null
  }
  const text = `${c.metric} canary ${fmt(k.mean)} vs stable ${fmt(s.mean)} on ${k.n} and ${s.n} requests older than ${Math.round(c.maturityMs / 1000)}s (${c.direction} is better, minEffect ${c.minEffect}); always-valid p worse=${fmt(worse.pValue)} better=${fmt(better.pValue)} (alpha ${fmt(side)})`
  if (o === undefined) return { check: 'outcomes', verdict: 'inconclusive', summary: `${text}: the source has no outcome data`, figures }
  if (k.n < c.minSamples || s.n < c.minSamples) return { check: 'outcomes', verdict: 'inconclusive', summary: `${text}: needs ${c.minSamples} matured samples per version`, figures }
  if (worse.pValue <= side) return { check: 'outcomes', verdict: 'fail', summary: `${text}: canary ${experiment ? 'loses' : 'worse'}`, figures }
  if (!experiment) return { check: 'outcomes', verdict: 'pass', summary: `${text}: not worse than stable by more than minEffect (p above alpha)`, figures }
  if (better.pValue <= side) return { check: 'outcomes', verdict: 'pass', summary: `${text}: canary wins`, figures }
  return { check: 'outcomes', verdict: 'inconclusive', summary: `${text}: no winner yet`, figures }
}

function coverage (s: OutcomeSums | undefined): number | null {
  return s === undefined || s.requests === 0 ? null : s.labelled / s.requests
}

function finite (x: number): number | null {
  return Number.isFinite(x) ? x : null
}

function fmt (x: number): string {
  if (!Number.isFinite(x)) return '-'
  if (x !== 0 && Math.abs(x) < 0.001) return x.toExponential(1)
  return String(Math.round(x * 1000) / 1000)
}

registerCheckKind<OutcomesCheck>({
  name: 'outcomes',
  sequential: true,
  parse: (raw, path, fail) => parseOutcomesCheck(raw, fail, path),
  run: (c, d, alpha) => outcomesCheck(c, d, alpha)
})
