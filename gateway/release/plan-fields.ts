/**
 * Field readers shared by everything that validates part of a rollout plan
 * (steps, checks, warm-up, watch, templates): each takes the raw value, its
 * path in the plan and a `fail` that throws a PlanError naming that path.
 */
import { TOTAL_BP } from '../state/split.js'

export type Fail = (path: string, reason: string) => never

export class PlanError extends Error {
  constructor (readonly source: string, readonly path: string, readonly reason: string) {
    super(`${source}: ${path === '' ? '(root)' : path}: ${reason}`)
    this.name = 'PlanError'
  }
}

export function failFor (source: string): Fail {
  return (path, reason) => { throw new PlanError(source, path, reason) }
}

export function mapping (v: unknown, path: string, fail: Fail): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(path, `must be a mapping, got ${show(v)}`)
  return v as Record<string, unknown>
}

export function known (o: Record<string, unknown>, path: string, keys: readonly string[], fail: Fail): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(path === '' ? k : `${path}.${k}`, `unknown key (known: ${keys.join(', ')})`)
}

export function num (v: unknown, path: string, min: number, max: number, def: number, fail: Fail): number {
  if (v === undefined) return def
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(path, `must be a number from ${min} to ${max}, got ${show(v)}`)
  return v as number
}

export function int (v: unknown, path: string, min: number, max: number, def: number, fail: Fail): number {
  if (v === undefined) return def
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `must be an integer from ${min} to ${max}, got ${show(v)}`)
  return v as number
}

export function bool (v: unknown, path: string, def: boolean, fail: Fail): boolean {
  if (v === undefined) return def
  if (typeof v !== 'boolean') fail(path, `must be true or false, got ${show(v)}`)
  return v as boolean
}

/** A list of distinct names matching `re`. */
export function names (v: unknown, path: string, re: RegExp, fail: Fail): string[] {
  if (!Array.isArray(v) || v.length === 0) fail(path, `must be a list of names, got ${show(v)}`)
  const out: string[] = []
  ;(v as unknown[]).forEach((x, i) => {
    if (typeof x !== 'string' || !re.test(x)) fail(`${path}[${i}]`, `must be a name matching ${re.source}, got ${show(x)}`)
    if (out.includes(x as string)) fail(`${path}[${i}]`, `names ${show(x)} twice`)
    out.push(x as string)
  })
  return out
}

/** "5%", "0.5%", "50bp", or a plain number of percent -> basis points. */
export function parseWeight (v: unknown, path: string, fail: Fail): number {
  let bp: number
  if (typeof v === 'number') bp = v * 100
  else if (typeof v === 'string' && /^\d+(\.\d+)?%$/.test(v.trim())) bp = Number(v.trim().slice(0, -1)) * 100
  else if (typeof v === 'string' && /^\d+bp$/.test(v.trim())) bp = Number(v.trim().slice(0, -2))
  else return fail(path, `must be a percentage (5%), basis points (50bp) or a number of percent, got ${show(v)}`)
  if (!Number.isInteger(Math.round(bp * 1e6) / 1e6) || bp <= 0 || bp > TOTAL_BP) fail(path, `must be more than 0 and at most 100% in whole basis points, got ${show(v)}`)
  return Math.round(bp)
}

/** "500ms", "5s", "2m", "1h", "2d", or a number of milliseconds. */
export function parseDuration (v: unknown, path: string, fail: Fail): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v.trim()) : null
  if (m === null) return fail(path, `must be a duration like 500ms, 30s, 5m, 1h, 7d (or milliseconds), got ${show(v)}`)
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'])
}

export function duration (v: unknown, path: string, def: number, fail: Fail): number {
  return v === undefined ? def : parseDuration(v, path, fail)
}

export function formatBp (bp: number): string {
  return `${(bp / 100).toFixed(2).replace(/\.?0+$/, '')}%`
}

export function show (v: unknown): string {
  const s = JSON.stringify(v)
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 60)}…` : s
}
