/**
 * The steps of a rollout plan, one parser per kind of step, keyed by the
 * step's distinguishing field:
 *   { weight: 5%, bake: 10m }        canary at a weight for a bake time, judged against stable
 *   { preview: { bake: 2m } }        blue-green: the preview's explicit-version traffic judged against the active version
 *   { gate: manual }                 wait for `rollout resume`
 *   { approval: { distinct: true } } wait for `rollout approve` (by another token than the starter's when distinct)
 *   { shadow: { share: 20%, duration: 1m, … } }  mirror a share of live requests to the candidate, judge agreement, errors, latency
 *   { verify: { suites: [base] } }   run the model's named verification suites against every replica of the candidate
 *   { warmup: { requests: 600, suite: base } }  send a suite's requests (golden, or replayed) to every replica first, unjudged
 * Each returns the validated step; the plan checks their order (plan.ts).
 */
import { bool, duration, int, known, mapping, names, num, parseWeight, show, type Fail } from './plan-fields.js'
import { NAME_RE } from '../state/names.js'

export interface WeightStep { kind: 'weight', weight: number, bakeMs: number }
export interface PreviewStep { kind: 'preview', bakeMs: number }
export interface GateStep { kind: 'gate' }
export interface ApprovalStep { kind: 'approval', distinct: boolean }
export interface ShadowStep {
  kind: 'shadow'
  /** Share of live requests mirrored, in basis points. */
  share: number
  /** How long the shadow runs before the step may pass (its bake). */
  bakeMs: number
  /** Pairs needed before any verdict. */
  minPairs: number
  /** Absolute difference of outputs counted as agreement. */
  tolerance: number
  minAgreement: number
  /** Largest share of mirrored requests the candidate may fail. */
  maxErrorRate: number
  /** The candidate's p99 may be at most the primary's x maxLatencyRatio + latencySlackMs. */
  maxLatencyRatio: number
  latencySlackMs: number
}
export interface VerifyStep { kind: 'verify', suites: string[] }
export interface WarmupStep {
  kind: 'warmup'
  /** Requests sent to every replica of the candidate. */
  requests: number
  /** The model's suite whose requests are sent: its golden files' requests, else its replay of recorded traffic. */
  suite: string
  /** In flight per replica at once. */
  concurrency: number
}

export type Step = WeightStep | PreviewStep | GateStep | ApprovalStep | ShadowStep | VerifyStep | WarmupStep
/** Steps that run once in the background and pass or fail when done. */
export type TaskStep = VerifyStep | WarmupStep
/** Steps that judge the candidate over a window of time: they have a bake and checks. */
export type JudgedStep = WeightStep | PreviewStep | ShadowStep

export function isJudged (s: Step | undefined): s is JudgedStep {
  return s !== undefined && (s.kind === 'weight' || s.kind === 'preview' || s.kind === 'shadow')
}

type StepParser = (st: Record<string, unknown>, path: string, fail: Fail) => Step

const PARSERS: Record<string, StepParser> = {
  weight (st, p, fail) {
    known(st, p, ['weight', 'bake'], fail)
    const weight = parseWeight(st.weight, `${p}.weight`, fail)
    if (st.bake === undefined) fail(`${p}.bake`, 'is required (how long the step runs before it may advance, e.g. 5m)')
    return { kind: 'weight', weight, bakeMs: positive(st.bake, `${p}.bake`, fail) }
  },
  preview (st, p, fail) {
    known(st, p, ['preview'], fail)
    const o = mapping(st.preview, `${p}.preview`, fail)
    known(o, `${p}.preview`, ['bake'], fail)
    if (o.bake === undefined) fail(`${p}.preview.bake`, 'is required (how long explicit-version traffic to the preview is judged, e.g. 2m)')
    return { kind: 'preview', bakeMs: positive(o.bake, `${p}.preview.bake`, fail) }
  },
  gate (st, p, fail) {
    known(st, p, ['gate'], fail)
    if (st.gate !== 'manual' && st.gate !== true) fail(`${p}.gate`, `must be "manual", got ${show(st.gate)}`)
    return { kind: 'gate' }
  },
  approval (st, p, fail) {
    known(st, p, ['approval'], fail)
    const o = st.approval === true ? {} : mapping(st.approval, `${p}.approval`, fail)
    known(o, `${p}.approval`, ['distinct'], fail)
    return { kind: 'approval', distinct: bool(o.distinct, `${p}.approval.distinct`, false, fail) }
  },
  shadow (st, p, fail) {
    known(st, p, ['shadow'], fail)
    const q = `${p}.shadow`
    const o = mapping(st.shadow, q, fail)
    known(o, q, ['share', 'duration', 'minPairs', 'tolerance', 'minAgreement', 'maxErrorRate', 'maxLatencyRatio', 'latencySlackMs'], fail)
    if (o.share === undefined || o.duration === undefined) fail(q, 'needs share (of live requests mirrored, e.g. 20%) and duration (e.g. 2m)')
    return {
      kind: 'shadow',
      share: parseWeight(o.share, `${q}.share`, fail),
      bakeMs: positive(o.duration, `${q}.duration`, fail),
      minPairs: int(o.minPairs, `${q}.minPairs`, 1, 1e7, 200, fail),
      tolerance: num(o.tolerance, `${q}.tolerance`, 0, 1e12, 1e-6, fail),
      minAgreement: num(o.minAgreement, `${q}.minAgreement`, 0, 1, 0.99, fail),
      maxErrorRate: num(o.maxErrorRate, `${q}.maxErrorRate`, 0, 1, 0.01, fail),
      maxLatencyRatio: num(o.maxLatencyRatio, `${q}.maxLatencyRatio`, 1, 1000, 2, fail),
      latencySlackMs: num(o.latencySlackMs, `${q}.latencySlackMs`, 0, 60_000, 20, fail)
    }
  },
  verify (st, p, fail) {
    known(st, p, ['verify'], fail)
    const o = mapping(st.verify, `${p}.verify`, fail)
    known(o, `${p}.verify`, ['suites'], fail)
    return { kind: 'verify', suites: names(o.suites, `${p}.verify.suites`, NAME_RE, fail) }
  },
  warmup (st, p, fail) {
    known(st, p, ['warmup'], fail)
    const q = `${p}.warmup`
    const o = mapping(st.warmup, q, fail)
    known(o, q, ['requests', 'suite', 'concurrency'], fail)
    if (typeof o.suite !== 'string' || !NAME_RE.test(o.suite)) fail(`${q}.suite`, `must name one of the model's verification suites (whose requests are sent), got ${show(o.suite)}`)
    return {
      kind: 'warmup',
      requests: int(o.requests, `${q}.requests`, 1, 100_000, 500, fail),
      suite: o.suite as string,
      concurrency: int(o.concurrency, `${q}.concurrency`, 1, 64, 4, fail)
    }
  }
}

export const STEP_KINDS = Object.keys(PARSERS)

export function parseStep (raw: Record<string, unknown>, path: string, fail: Fail): Step {
  const kind = STEP_KINDS.find(k => raw[k] !== undefined)
  if (kind === undefined) return fail(path, `needs one of ${STEP_KINDS.join(', ')} (e.g. { weight: 5%, bake: 10m } or { gate: manual })`)
  return PARSERS[kind]!(raw, path, fail)
}

function positive (v: unknown, path: string, fail: Fail): number {
  const ms = duration(v, path, 0, fail)
  if (ms <= 0) fail(path, 'must be more than zero')
  return ms
}
