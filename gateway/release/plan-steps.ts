/**
 * The steps of a rollout plan, one parser per kind of step, keyed by the
 * step's distinguishing field:
 *   { weight: 5%, bake: 10m }        canary at a weight for a bake time, judged against stable
 *   { preview: { bake: 2m } }        blue-green: the preview's explicit-version traffic judged against the active version
 *   { gate: manual }                 wait for `rollout resume`
 *   { approval: { distinct: true } } wait for `rollout approve` (by another token than the starter's when distinct)
 * Each returns the validated step; the plan checks their order (plan.ts).
 */
import { bool, duration, known, mapping, parseWeight, show, type Fail } from './plan-fields.js'

export interface WeightStep { kind: 'weight', weight: number, bakeMs: number }
export interface PreviewStep { kind: 'preview', bakeMs: number }
export interface GateStep { kind: 'gate' }
export interface ApprovalStep { kind: 'approval', distinct: boolean }

export type Step = WeightStep | PreviewStep | GateStep | ApprovalStep
/** Steps that send traffic to the candidate and judge it: they have a window and a bake. */
export type JudgedStep = WeightStep | PreviewStep

export function isJudged (s: Step | undefined): s is JudgedStep {
  return s !== undefined && (s.kind === 'weight' || s.kind === 'preview')
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
