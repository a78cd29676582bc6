/**
 * The config's rollout plans, checked when the gateway starts: each model's
 * `release.rollout` (a plan, or a template reference with an override) and each
 * template of `rollouts.templates`. A bad one is a config error naming the
 * file, the path and the reason; the gateway does not start with it.
 */
import { ConfigError, type GatewayConfig } from '../config/load.js'
import { PlanError, validatePlan, type RolloutPlan } from './plan.js'
import { allTemplates, resolveTemplate, templateRef, type TemplateRef } from './templates.js'
import { outcomesSourceProblem } from './outcomes-check.js'

/** A model's plan from the config: a whole plan, or a template reference resolved when a rollout starts. */
export type PlanSource = { plan: RolloutPlan } | { ref: TemplateRef }

export function configPlans (config: GatewayConfig): Record<string, PlanSource> {
  checkTemplates(config)
  const templates = allTemplates(config.rollouts.templates, { revision: 0, models: {} })
  const out: Record<string, PlanSource> = {}
  for (const [model, raw] of Object.entries(config.rollouts.plans)) {
    const base = `models.${model}.release.rollout`
    out[model] = asConfigError(config.file, base, () => {
      const ref = templateRef(raw, config.file)
      if (ref === null) {
        const plan = validatePlan(raw, config.file)
        const problem = outcomesSourceProblem(plan.checks.outcomes, config.rollouts.source)
        if (problem !== null) throw new PlanError(config.file, 'checks.outcomes', problem)
        return { plan }
      }
      // A template the config defines is checked now; one added at runtime when a rollout starts.
      if (templates.has(ref.template)) resolveTemplate(ref, templates, config.file)
      return { ref }
    })
  }
  return out
}

function checkTemplates (config: GatewayConfig): void {
  const seen = new Set<string>()
  config.rollouts.templates.forEach((t, i) => {
    const key = `${t.name}@${t.version}`
    if (seen.has(key)) throw new ConfigError(config.file, `rollouts.templates[${i}]`, `template "${t.name}" version ${t.version} is defined twice`)
    seen.add(key)
    asConfigError(config.file, `rollouts.templates[${i}].plan`, () => validatePlan(t.plan, config.file))
  })
}

function asConfigError<T> (file: string, base: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof PlanError) throw new ConfigError(file, err.path === '' ? base : `${base}.${err.path}`, err.reason)
    throw err
  }
}
