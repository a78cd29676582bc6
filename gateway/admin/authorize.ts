/**
 * What an authenticated admin token may do, as one pure decision:
 * - role "read": GET only; "admin": everything; "release": GET and the rollout
 *   verbs of its `actions` (start, approve, abort; default all three);
 * - `actions` on an admin token narrows its rollout verbs the same way;
 * - `models` or `labels` scope a token: every write must name a model it
 *   selects (a write that is not about one model, like a config reload or a
 *   new plan template, is refused to a scoped token). Reads are not scoped.
 * Rollout verbs map to actions: start; approve and resume (both let a rollout
 * go on past a person's check); abort and pause (both stop it).
 */
export type ReleaseAction = 'start' | 'approve' | 'abort'
export type TokenRole = 'read' | 'admin' | 'release'

export interface Principal {
  name: string
  role: TokenRole
  /** Rollout verbs allowed; null: all. */
  actions: readonly ReleaseAction[] | null
  /** Models this token may change; null with labels null: any. */
  models: readonly string[] | null
  labels: Readonly<Record<string, string>> | null
}

export interface RouteNeeds {
  /** 'admin' for writes. */
  write: boolean
  /** The rollout verb a route is, if it is one. */
  release?: ReleaseAction | undefined
  /** The model the route names (its :model parameter), if any. */
  model?: string | undefined
}

/** Why the call is refused, or null when it is allowed. */
export function refusal (p: Principal, needs: RouteNeeds, labelsOf: (model: string) => Readonly<Record<string, string>> | undefined): string | null {
  if (!needs.write) return null
  if (p.role === 'read') return `token "${p.name}" has role "read"; this needs role "admin"`
  if (needs.release === undefined && p.role === 'release') return `token "${p.name}" has role "release": it may only ${allowed(p)} rollouts`
  if (needs.release !== undefined && p.actions !== null && !p.actions.includes(needs.release)) return `token "${p.name}" may only ${allowed(p)} rollouts, not ${needs.release}`
  if (p.models === null && p.labels === null) return null
  if (needs.model === undefined) return `token "${p.name}" is scoped to ${scopeText(p)}; it cannot make changes that are not about one of those models`
  if (!inScope(p, needs.model, labelsOf(needs.model))) return `token "${p.name}" is scoped to ${scopeText(p)}; model "${needs.model}" is not one of them`
  return null
}

export function inScope (p: Principal, model: string, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (p.models !== null && p.models.includes(model)) return true
  if (p.labels === null || labels === undefined) return false
  return Object.entries(p.labels).every(([k, v]) => labels[k] === v)
}

function allowed (p: Principal): string {
  return (p.actions ?? ['start', 'approve', 'abort']).join(', ')
}

function scopeText (p: Principal): string {
  const parts: string[] = []
  if (p.models !== null) parts.push(`models ${p.models.join(', ')}`)
  if (p.labels !== null) parts.push(`models labelled ${Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(',')}`)
  return parts.join(' and ')
}
