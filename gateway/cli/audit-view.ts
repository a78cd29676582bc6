/**
 * What `model-gateway audit` shows of an entry: what changed, read from the
 * model's state before and after (weights v1 90→80, v2 10→20; stable v1→v3;
 * replicas of v2 2→3), and a short note from the detail (a reason cut to a
 * line; nested JSON such as plans and check figures stays out of the table,
 * `--json` has it all). Pure functions over the stored entry.
 */
import type { ModelState } from '../state/routing-state.js'

/** Longest note in the table; the rest is in `audit --json`. */
export const NOTE_MAX = 72

function pct (bp: number): string {
  return `${Number((bp / 100).toFixed(2))}`
}

function weights (s: ModelState | null): Map<string, number> {
  return new Map((s?.split ?? []).map(e => [e.version, e.weight]))
}

function arrow (a: string, b: string): string {
  return `${a}→${b}`
}

/** Each difference between two states of a model that an operator cares about, in words. */
export function changes (before: ModelState | null, after: ModelState | null): string[] {
  if (before === null && after === null) return []
  if (before === null) return [`model added: ${Object.keys(after!.versions).join(', ')}`]
  if (after === null) return ['model removed']
  const out: string[] = []
  const wb = weights(before)
  const wa = weights(after)
  // In registration order (the versions map), so a table reads the same way for every entry.
  const moved = [...new Set([...Object.keys(before.versions), ...Object.keys(after.versions), ...wb.keys(), ...wa.keys()])].filter(v => (wb.get(v) ?? 0) !== (wa.get(v) ?? 0))
  if (moved.length > 0) out.push(`weights ${moved.map(v => `${v} ${arrow(pct(wb.get(v) ?? 0), pct(wa.get(v) ?? 0))}`).join(', ')}`)
  if (before.strategy !== after.strategy) out.push(`strategy ${arrow(before.strategy, after.strategy)}`)
  if (before.stable !== after.stable) out.push(`stable ${arrow(before.stable, after.stable)}`)
  if (before.candidate !== after.candidate) out.push(`${after.strategy === 'blue-green' ? 'preview' : 'canary'} ${arrow(before.candidate ?? 'none', after.candidate ?? 'none')}`)
  const added = Object.keys(after.versions).filter(v => before.versions[v] === undefined)
  const removed = Object.keys(before.versions).filter(v => after.versions[v] === undefined)
  if (added.length > 0) out.push(`added ${added.join(', ')}`)
  if (removed.length > 0) out.push(`retired ${removed.join(', ')}`)
  for (const [v, a] of Object.entries(after.versions)) {
    const b = before.versions[v]
    if (b === undefined) continue
    if (b.replicas.length !== a.replicas.length || b.replicas.some((u, i) => a.replicas[i] !== u)) out.push(`replicas of ${v} ${arrow(String(b.replicas.length), String(a.replicas.length))}`)
    if (b.sampleRate !== a.sampleRate) out.push(`sampling of ${v} ${arrow(b.sampleRate === undefined ? 'config' : `${Number((b.sampleRate * 100).toFixed(2))}%`, a.sampleRate === undefined ? 'config' : `${Number((a.sampleRate * 100).toFixed(2))}%`)}`)
  }
  const sb = before.shadow ?? null
  const sa = after.shadow ?? null
  if ((sb?.version ?? null) !== (sa?.version ?? null) || (sb?.weight ?? 0) !== (sa?.weight ?? 0)) {
    out.push(`shadow ${arrow(sb === null ? 'off' : `${sb.version} ${pct(sb.weight)}%`, sa === null ? 'off' : `${sa.version} ${pct(sa.weight)}%`)}`)
  }
  if ((before.requireVerification ?? false) !== (after.requireVerification ?? false)) out.push(`requireVerification ${arrow(before.requireVerification === true ? 'on' : 'off', after.requireVerification === true ? 'on' : 'off')}`)
  for (const [v, rec] of Object.entries(after.verifications ?? {})) {
    if (before.verifications?.[v]?.at !== rec.at) out.push(`verified ${v}: ${rec.passed ? 'passed' : 'failed'}`)
  }
  const rb = before.rollout ?? null
  const ra = after.rollout ?? null
  if (ra !== null && (rb?.id !== ra.id || rb.status !== ra.status || rb.step !== ra.step)) {
    out.push(rb?.id !== ra.id ? `rollout of ${ra.version} ${ra.status}` : `rollout of ${ra.version} ${rb.status === ra.status ? `step ${rb.step + 1}→${ra.step + 1}` : arrow(rb.status, ra.status)}`)
  }
  return out
}

/** A one-line note from the detail: the reason if there is one, else its plain fields; cut at NOTE_MAX. */
export function note (detail: Record<string, unknown>): string {
  const reason = typeof detail.reason === 'string' ? detail.reason : undefined
  const text = reason ?? Object.entries(detail)
    .filter(([, v]) => v !== null && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ')
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > NOTE_MAX ? `${line.slice(0, NOTE_MAX - 1)}…` : line
}

/** "2026-12-03T09:22:20.830Z" -> "2026-12-03 09:22:20". */
export function when (iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '')
}
