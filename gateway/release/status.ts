/**
 * `rollout status` as data and as text: where the rollout is (queued with its
 * position, step, weight, time left in the step, the watch after promotion),
 * the checks of the last analysis with their figures, and a progress bar over
 * the plan. The admin API returns the data; the CLI renders it (live on a
 * terminal, once otherwise).
 */
import type { RolloutRecord } from '../state/rollout-record.js'
import type { JournalEntry } from './coordination.js'
import type { RolloutPlan } from './plan.js'
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
}

export function rolloutView (model: string, r: RolloutRecord, last: JournalEntry | null, now: number, queuePosition: number | null = null): RolloutView {
  const plan = r.plan as RolloutPlan
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
    queuePosition,
    approvals: (r.approvals ?? []).map(a => ({ step: a.step + 1, by: a.by, at: new Date(a.at).toISOString() })),
    last
  }
}

export function progressBar (progress: number, width = 30): string {
  const n = Math.round(Math.max(0, Math.min(1, progress)) * width)
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}] ${Math.round(progress * 100)}%`
}

const KIND_NOTE: Partial<Record<RolloutView['stepKind'], string>> = { gate: ' (manual gate)', approval: ' (approval)', preview: ' (preview)', watch: ' (post-promotion watch)' }

/** The status as lines of text. */
export function formatStatus (v: RolloutView): string[] {
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
  if (v.last !== null) {
    lines.push(`last analysis ${new Date(v.last.at).toISOString()} on ${v.last.instanceId}: ${v.last.action} — ${v.last.reason}`)
    for (const c of v.last.checks) lines.push(`  ${(c.segment === undefined ? c.check : `${c.check}[${c.segment}]`).padEnd(8)} ${c.verdict.toUpperCase().padEnd(13)} ${c.summary}`)
  }
  return lines
}
