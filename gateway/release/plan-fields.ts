/**
 * Field readers of the rollout plan's validation: each checks one value and
 * fails with the field's path and what is wrong (plan.ts turns that into a
 * PlanError naming the file). Shared by the plan and the checks and plan
 * kinds it is built from.
 */

import { TOTAL_BP } from '../state/split.js'

export type Fail = (path: string, reason: string) => never

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

/** "500ms", "5s", "2m", "1h", "7d", or a number of milliseconds. */
export function parseDuration (v: unknown, path: string, fail: Fail): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v.trim()) : null
  if (m === null) return fail(path, `must be a duration like 500ms, 30s, 5m, 1h, 7d (or milliseconds), got ${show(v)}`)
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'])
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

export function show (v: unknown): string {
  const s = JSON.stringify(v)
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 60)}…` : s
}
