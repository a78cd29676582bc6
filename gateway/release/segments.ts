/**
 * Segment-wise analysis: a canary judged on all users at once can hide a
 * segment (a region, a platform) where it is bad. Every check also runs on each
 * segment's own canary and stable traffic. The rollout's alpha is split: half
 * for the checks over all the traffic, half over the segments, that half
 * divided by the number of segments (Bonferroni), so judging S segments does not
 * multiply false rollbacks by S. A segment's failure rolls the canary back like
 * any failure; a segment with too little data does not hold a step (only the
 * checks over all traffic do). A canary limited to some segments is judged on
 * those alone, pooled and one by one.
 */
import { analyse, type Alphas, type Checks } from './analysis.js'
import type { CheckResult } from './check-registry.js'
import { emptyVersionWindow, type VersionWindow, type WindowData } from './source.js'

export interface SegmentScope {
  /** The segments the model has (its values and "other"): the Bonferroni divisor. */
  count: number
  /** The segments a limited canary serves, or null. */
  limitTo: readonly string[] | null
}

export function analyseWithSegments (checks: Checks, data: WindowData, alphas: Alphas, scope: SegmentScope | null): CheckResult[] {
  const s = data.stable.bySegment
  const k = data.canary.bySegment
  if (scope === null || (s === undefined && k === undefined)) return analyse(checks, data, alphas)
  const names = scope.limitTo ?? [...new Set([...Object.keys(s ?? {}), ...Object.keys(k ?? {})])].sort()
  const cells = data.stable.latency.length
  const of = (w: Record<string, VersionWindow> | undefined, name: string): VersionWindow => w?.[name] ?? emptyVersionWindow(cells)
  const pooled: WindowData = scope.limitTo === null ? data : { stable: sum(names.map(n => of(s, n)), cells), canary: sum(names.map(n => of(k, n)), cells), newestAt: data.newestAt }
  const half = { sequential: alphas.sequential / 2, perLook: alphas.perLook / 2 }
  const each = { sequential: half.sequential / Math.max(1, scope.count), perLook: half.perLook / Math.max(1, scope.count) }
  const out = analyse(checks, pooled, half)
  for (const name of names) {
    for (const r of analyse(checks, { stable: of(s, name), canary: of(k, name), newestAt: data.newestAt }, each)) out.push({ ...r, segment: name })
  }
  return out
}

function sum (ws: readonly VersionWindow[], cells: number): VersionWindow {
  const out = emptyVersionWindow(cells)
  for (const w of ws) {
    out.requests += w.requests
    out.errors += w.errors
    for (let i = 0; i < cells; i++) out.latency[i]! += w.latency[i] ?? 0
    for (const v of w.outputs) out.outputs.push(v)
  }
  return out
}
