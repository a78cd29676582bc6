/**
 * `rollout status` as data and as text: where the rollout is (queued with its
 * position, step, weight, time left in the step, the watch after promotion),
 * the checks of the last analysis with their figures, and a progress bar over
 * the plan. The admin API returns the data; the CLI renders it (live on a
 * terminal, once otherwise).
 */
import type { RolloutRecord } from '../state/rollout-record.js'
import type { JournalEntry } from './coordination.js'
import { planOf, type RolloutPlan } from './plan.js'
import { formatBp } from './plan-fields.js'
import type { Step } from './plan-steps.js'
import { seconds, weightAt } from './steps.js'

export interface RolloutView {
  model: string
  version: string
  stable: string
  strategy: RolloutPlan['strategy']
  status: RolloutRecord['status']
  reason: string | null
  /** 1-based step number and the number of steps. */
  step: number
  steps: number
  stepKind: Step['kind'] | 'watch' | 'done' | 'queued'
  weight: number
  bakeMs: number | null
  elapsedMs: number
  remainingMs: number | null
  /** Share of the plan's total bake time done (0..1). */
  progress: number
  startedAt: string
  startedBy: string
  endedAt: string | null
  /** Position in the release queue (1 = next), when queued. */
  queuePosition: number | null
  /** Who approved which approval step. */
  approvals: Array<{ step: number, by: string, at: string }>
  /** The newest analysis in the journal (its checks and decision), if any. */
  last: JournalEntry | null
  /** Whether the controller can act: the state store, the lease, its latest decision. */
  control?: ControlView
}

/** What `rollout status` says besides the rollout: can the controller act, who would, when it last did. */
export interface ControlView {
  /** The state store as this instance sees it; unavailable means no controller can act. */
  store: { kind: string, available: boolean, unavailableSince: string | null, error: string | null }
  /** Which instance holds the model's lease; holder null: nobody; error: it could not be read. */
  lease: { holder: string | null, expiresInMs: number | null, error?: string }
  /** The controller's newest decision of any kind (a wait counts: it analysed), from the journal. */
  lastDecision: { at: string, instanceId: string, action: string } | null
  /** True when the journal could not be read and lastDecision is the last one this instance saw. */
  lastDecisionCached: boolean
}

export function rolloutView (model: string, r: RolloutRecord, last: JournalEntry | null, now: number, extra: { queuePosition?: number | null, control?: ControlView } = {}): RolloutView {
  const control = extra.control
  const plan = planOf(r)
  const s = plan.steps[r.step]
  const ended = r.endedAt !== null
  const elapsed = Math.max(0, (ended ? r.endedAt! : now) - r.stepStartedAt)
  const bakeOf = (x: Step): number => x.kind === 'weight' || x.kind === 'preview' ? x.bakeMs : 0
  const total = plan.steps.reduce((a, x) => a + bakeOf(x), 0) + (plan.watch?.durationMs ?? 0)
  let done = 0
  for (let i = 0; i < Math.min(r.step, plan.steps.length); i++) done += bakeOf(plan.steps[i]!)
  if (s !== undefined) done += Math.min(elapsed, bakeOf(s))
  const watching = r.status === 'watching'
  if (watching) done += Math.min(elapsed, plan.watch?.durationMs ?? 0)
  const promoted = r.status === 'promoted' || watching
  const weight = promoted ? 10_000 : r.status === 'rolled-back' || r.status === 'aborted' || r.status === 'queued' ? 0 : weightAt(plan, r.step)
  const bake = s !== undefined ? bakeOf(s) : watching ? plan.watch?.durationMs ?? 0 : 0
  return {
    model,
    version: r.version,
    stable: r.stable,
    strategy: plan.strategy ?? 'canary',
    status: r.status,
    reason: r.reason,
    step: Math.min(r.step + 1, plan.steps.length),
    steps: plan.steps.length,
    stepKind: r.status === 'queued' ? 'queued' : watching ? 'watch' : s === undefined ? 'done' : s.kind,
    weight,
    bakeMs: bake > 0 ? bake : null,
    elapsedMs: elapsed,
    remainingMs: bake > 0 && !ended ? Math.max(0, bake - elapsed) : null,
    progress: r.status === 'promoted' ? 1 : total === 0 ? 0 : done / total,
    startedAt: new Date(r.startedAt).toISOString(),
    startedBy: r.startedBy,
    endedAt: r.endedAt === null ? null : new Date(r.endedAt).toISOString(),
    queuePosition: extra.queuePosition ?? null,
    approvals: (r.approvals ?? []).map(a => ({ step: a.step + 1, by: a.by, at: new Date(a.at).toISOString() })),
    last,
    ...(control === undefined ? {} : { control })
  }
}

export function progressBar (progress: number, width = 30): string {
  const n = Math.round(Math.max(0, Math.min(1, progress)) * width)
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}] ${Math.round(progress * 100)}%`
}

/** The control lines: store outage first (it explains everything else), lease holder, last decision. */
export function controlLines (c: ControlView, now: number): string[] {
  const ago = (iso: string): string => `${seconds(now - Date.parse(iso))} ago`
  const lines: string[] = []
  if (!c.store.available) {
    const since = c.store.unavailableSince
    lines.push(`state store UNAVAILABLE${since === null ? '' : ` since ${since} (${ago(since)})`}: no controller can act, changes are refused${c.store.error === null ? '' : ` (${c.store.error})`}`)
  }
  const l = c.lease
  lines.push(l.error !== undefined ? `lease: unknown (${l.error})` : l.holder === null ? 'lease: free (no controller holds it)' : `lease: held by ${l.holder}${l.expiresInMs === null ? '' : ` (${seconds(l.expiresInMs)} left)`}`)
  const d = c.lastDecision
  if (d !== null) lines.push(`controller last acted ${d.at} (${ago(d.at)}) on ${d.instanceId}: ${d.action}${c.lastDecisionCached ? ' (as last seen; the journal does not answer)' : ''}`)
  return lines
}

const KIND_NOTE: Partial<Record<RolloutView['stepKind'], string>> = { gate: ' (manual gate)', approval: ' (approval)', preview: ' (preview)', watch: ' (post-promotion watch)' }

/** Terminal width the status fits by default (`--wide`: one line per item, however long). */
export const STATUS_COLUMNS = 100

/** A line broken at spaces into lines of at most `width` columns, the continuations indented. */
export function wrapLine (line: string, width = STATUS_COLUMNS, indent = '      '): string[] {
  const out: string[] = []
  let rest = line
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width)
    if (cut <= indent.length) cut = width
    out.push(rest.slice(0, cut).trimEnd())
    rest = `${indent}${rest.slice(cut).trimStart()}`
  }
  out.push(rest)
  return out
}

/** A check's line: the verdict and, first, why (the summary's last clause), then the figures it rests on. */
function checkLine (c: JournalEntry['checks'][number], wide: boolean): string {
  const name = (c.segment === undefined ? c.check : `${c.check}[${c.segment}]`).padEnd(8)
  if (wide) return `  ${name} ${c.verdict.toUpperCase().padEnd(13)} ${c.summary}`
  const cut = c.summary.lastIndexOf(': ')
  const why = cut < 0 ? '' : c.summary.slice(cut + 2)
  const figures = cut < 0 ? c.summary : c.summary.slice(0, cut)
  return `  ${name} ${c.verdict.toUpperCase().padEnd(13)} ${why === '' ? figures : `${why} — ${figures}`}`
}

/** The status as lines of text, each within STATUS_COLUMNS unless `wide`. */
export function formatStatus (v: RolloutView, now = Date.now(), wide = false): string[] {
  const lines = statusLines(v, now, wide)
  return wide ? lines : lines.flatMap(l => wrapLine(l))
}

function statusLines (v: RolloutView, now: number, wide: boolean): string[] {
  const where = v.status === 'queued'
    ? `queued: position ${v.queuePosition ?? '?'} in the release queue`
    : `step ${v.step}/${v.steps}${KIND_NOTE[v.stepKind] ?? ''}  ${v.strategy === 'blue-green' ? (v.weight === 10_000 ? 'switched' : 'preview at 0% (explicit-version traffic)') : `canary weight ${formatBp(v.weight)}`}  ` +
      (v.remainingMs === null ? '' : `${v.stepKind === 'watch' ? 'watch' : 'bake'} ${seconds(v.elapsedMs)} of ${seconds(v.bakeMs ?? 0)} (${seconds(v.remainingMs)} left)`)
  const lines = [
    `rollout of ${v.model} ${v.version} (${v.strategy === 'blue-green' ? 'active' : 'stable'} ${v.stable}): ${v.status.toUpperCase()}${v.reason === null ? '' : ` — ${v.reason}`}`,
    where.trimEnd(),
    progressBar(v.progress),
    `started ${v.startedAt} by ${v.startedBy}${v.endedAt === null ? '' : `, ended ${v.endedAt}`}`
  ]
  for (const a of v.approvals) lines.push(`approved step ${a.step} by ${a.by} at ${a.at}`)
  if (v.control !== undefined) {
    const [first, ...rest] = controlLines(v.control, now)
    // An outage explains everything else on the screen (a bake "0.0s left" that does not advance): it goes right under the title.
    if (!v.control.store.available) lines.splice(1, 0, first!)
    else rest.unshift(first!)
    lines.push(...rest)
  }
  if (v.last !== null) {
    lines.push(`last analysis ${new Date(v.last.at).toISOString()} on ${v.last.instanceId}: ${v.last.action} — ${v.last.reason}`)
    for (const c of v.last.checks) lines.push(checkLine(c, wide))
  }
  return lines
}
