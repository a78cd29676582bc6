/**
 * Rollout policies: what every rollout of the models a policy selects (by name
 * or by labels) must have — check kinds enabled, verification suites run by a
 * verify step, a first canary step no bigger than a bound, an approval step.
 * Checked when a rollout starts, against the plan it would run; a plan that
 * falls short is refused naming each policy and what it lacks.
 */
import type { PolicyConfig } from '../config/schema.js'
import { GatewayError } from '../errors.js'
import { formatBp } from './plan-fields.js'
import type { RolloutPlan } from './plan.js'

export function policiesFor (model: string, labels: Readonly<Record<string, string>>, policies: readonly PolicyConfig[]): PolicyConfig[] {
  return policies.filter(p => {
    if (p.models === undefined && p.labels === undefined) return true
    if (p.models?.includes(model) === true) return true
    return p.labels !== undefined && Object.entries(p.labels).every(([k, v]) => labels[k] === v)
  })
}

/** What the plan lacks under each policy, one line each; empty when it complies. */
export function violations (plan: RolloutPlan, policies: readonly PolicyConfig[]): string[] {
  const out: string[] = []
  const suites = plan.steps.flatMap(s => s.kind === 'verify' ? s.suites : [])
  const first = plan.steps.find(s => s.kind === 'weight')
  const approvals = plan.steps.filter(s => s.kind === 'approval')
  for (const p of policies) {
    const lacks: string[] = []
    const checks = (p.requireChecks ?? []).filter(c => plan.checks[c] === undefined)
    if (checks.length > 0) lacks.push(`checks ${checks.join(', ')}`)
    const missing = (p.requireSuites ?? []).filter(s => !suites.includes(s))
    if (missing.length > 0) lacks.push(`a verify step with suites ${missing.join(', ')}`)
    if (p.maxFirstStepWeight !== undefined && first?.kind === 'weight' && first.weight > p.maxFirstStepWeight) lacks.push(`a first step of at most ${formatBp(p.maxFirstStepWeight)} (it is ${formatBp(first.weight)})`)
    if (p.requireApproval !== undefined && !approvals.some(a => a.kind === 'approval' && (p.requireApproval === 'any' || a.distinct))) lacks.push(`an approval step${p.requireApproval === 'distinct' ? ' by another token than the starter\'s (distinct: true)' : ''}`)
    if (lacks.length > 0) out.push(`policy "${p.name}" requires ${lacks.join('; ')}`)
  }
  return out
}

export function assertCompliant (model: string, plan: RolloutPlan, policies: readonly PolicyConfig[]): void {
  const v = violations(plan, policies)
  if (v.length > 0) throw new GatewayError('GW_POLICY_VIOLATION', { model, detail: v.join('; ') })
}
