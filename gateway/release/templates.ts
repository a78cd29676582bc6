/**
 * Rollout plan templates: named, versioned plans that many models share, so
 * most models release through a few common patterns. Versions come from the
 * config (rollouts.templates) and from the admin API (stored in the routing
 * state, revisioned and audited); a version never changes once written. A
 * model's plan names a template, optionally a version (default: the newest),
 * and an override merged over it (mappings key by key, lists replaced whole),
 * e.g. { template: standard, override: { checks: { latency: { minIncreaseMs: 20 } } } }.
 */
import { errors } from '../errors.js'
import type { Operation } from '../control/operations.js'
import type { TemplateConfig } from '../config/schema.js'
import type { RoutingState, StoredTemplate } from '../state/routing-state.js'
import { NAME_RE } from '../state/names.js'
import { PlanError, validatePlan, type RolloutPlan } from './plan.js'
import { failFor, int, known, mapping, show } from './plan-fields.js'

export interface TemplateVersion extends StoredTemplate {
  name: string
  source: 'config' | 'admin'
}

/** A plan, or a reference to a template with an override. */
export interface TemplateRef {
  template: string
  version: number | null
  override: Record<string, unknown> | null
}

/** Every template version the config and the state hold, by name, oldest first. */
export function allTemplates (config: readonly TemplateConfig[], state: RoutingState): Map<string, TemplateVersion[]> {
  const out = new Map<string, TemplateVersion[]>()
  const add = (t: TemplateVersion): void => {
    const list = out.get(t.name) ?? []
    if (!list.some(x => x.version === t.version)) list.push(t)
    out.set(t.name, list)
  }
  for (const t of config) add({ name: t.name, version: t.version, plan: t.plan, by: 'config', at: 0, source: 'config' })
  for (const [name, list] of Object.entries(state.templates ?? {})) for (const t of list) add({ ...t, name, source: 'admin' })
  for (const list of out.values()) list.sort((a, b) => a.version - b.version)
  return out
}

/** Reads `{ template, version?, override? }`; null when `raw` is a plain plan. Throws PlanError naming `source`. */
export function templateRef (raw: unknown, source: string): TemplateRef | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || (raw as Record<string, unknown>).template === undefined) return null
  const fail = failFor(source)
  const o = mapping(raw, '', fail)
  known(o, '', ['template', 'version', 'override'], fail)
  if (typeof o.template !== 'string' || !NAME_RE.test(o.template)) fail('template', `must name a plan template, got ${show(o.template)}`)
  return {
    template: o.template as string,
    version: o.version === undefined ? null : int(o.version, 'version', 1, 1_000_000, 1, fail),
    override: o.override === undefined ? null : mapping(o.override, 'override', fail)
  }
}

/** The plan a reference resolves to, and the template version it used. */
export function resolveTemplate (ref: TemplateRef, templates: Map<string, TemplateVersion[]>, source: string): { plan: RolloutPlan, template: { name: string, version: number } } {
  const list = templates.get(ref.template)
  if (list === undefined || list.length === 0) throw new PlanError(source, 'template', `no plan template "${ref.template}" (have: ${[...templates.keys()].join(', ') || 'none'})`)
  const t = ref.version === null ? list[list.length - 1]! : list.find(x => x.version === ref.version)
  if (t === undefined) throw new PlanError(source, 'version', `template "${ref.template}" has no version ${ref.version} (have: ${list.map(x => x.version).join(', ')})`)
  const merged = ref.override === null ? t.plan : merge(t.plan, ref.override)
  return { plan: validatePlan(merged, `${source} (template ${t.name} v${t.version}${ref.override === null ? '' : ' with its override'})`), template: { name: t.name, version: t.version } }
}

/** Mappings merge key by key; anything else (lists, values) is replaced by the override. */
export function merge (base: unknown, over: unknown): unknown {
  if (!isMapping(base) || !isMapping(over)) return over
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? merge(base[k], v) : v
  return out
}

function isMapping (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** Stores the next version of template `name` (the plan must validate). */
export function addTemplate (name: string, plan: unknown, config: readonly TemplateConfig[], by: string, at: number): Operation {
  return (state) => {
    try {
      validatePlan(plan, 'body.plan')
    } catch (err) {
      if (err instanceof PlanError) throw errors.invalid(`invalid rollout plan: ${err.message}`)
      throw err
    }
    const versions = allTemplates(config, state).get(name) ?? []
    const version = (versions[versions.length - 1]?.version ?? 0) + 1
    const stored = [...(state.templates?.[name] ?? []), { version, plan, by, at }]
    return { ...state, revision: state.revision + 1, templates: { ...state.templates, [name]: stored } }
  }
}
