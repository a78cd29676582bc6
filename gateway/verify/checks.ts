/**
 * The five checks of a verification, as pure functions of what the replicas
 * answered (probe.ts). Each returns its figures and a verdict with a one-line
 * reason, so an operator sees why a version failed without reading logs.
 */
import type { VerificationCheck } from '../state/routing-state.js'
import { diffExpected, diffOutputs, tensorProblems, type OutputDiff } from '../proxy/output-diff.js'
import type { GoldenCase } from './golden.js'
import type { Answer, ReplicaProbe } from './probe.js'

export interface Budgets {
  /** Absolute tolerance of a golden line without its own. */
  tolerance: number
  /** Share of answers within tolerance of the stable version's (lines without expected outputs) needed to pass. */
  minAgreement: number
  /** A replica's p99 may be at most stable p99 x latencyRatio + latencySlackMs. */
  latencyRatio: number
  latencySlackMs: number
}

export const DEFAULT_BUDGETS: Readonly<Budgets> = Object.freeze({ tolerance: 1e-6, minAgreement: 0.99, latencyRatio: 2, latencySlackMs: 20 })

const ok = (a: Answer): boolean => a.status >= 200 && a.status < 300

export function replicasCheck (candidate: readonly ReplicaProbe[]): VerificationCheck {
  const silent = candidate.filter(p => p.metadataError !== null && p.answers.every(r => r.every(a => a.status === 0)))
  const partly = candidate.filter(p => !silent.includes(p) && (p.metadataError !== null || p.answers.some(r => r.some(a => a.status === 0))))
  const bad = [...silent, ...partly]
  return {
    name: 'replicas',
    // No replica at all (a DNS name that resolves to nothing yet) verifies nothing.
    passed: bad.length === 0 && candidate.length > 0,
    detail: candidate.length === 0
      ? 'the version has no replica to verify (none listed, none discovered)'
      : bad.length === 0
        ? `all ${candidate.length} replicas answered`
      : bad.map(p => `${p.url} ${silent.includes(p) ? 'did not answer' : 'did not answer every call'} (${p.metadataError ?? firstError(p)})`).join('; '),
    figures: { replicas: candidate.length, answering: candidate.length - bad.length }
  }
}

export function metadataCheck (candidate: readonly ReplicaProbe[], baseline: readonly ReplicaProbe[], baselineName: string | null): VerificationCheck {
  const ref = baseline.find(p => p.metadata !== null)?.metadata ?? null
  const problems: string[] = []
  // A replica without metadata fails the replicas check; here only answers are judged.
  const answered = candidate.filter(p => p.metadata !== null)
  if (answered.length === 0) problems.push(`no replica answered its metadata (${candidate[0]?.metadataError ?? 'no replicas'})`)
  for (const p of answered) {
    if (p.metadata === null) continue
    const against = ref ?? answered[0]!.metadata!
    for (const x of [...tensorProblems('input', against.inputs, p.metadata.inputs), ...tensorProblems('output', against.outputs, p.metadata.outputs)]) problems.push(`${p.url}: ${x}`)
  }
  const what = ref === null ? 'each other (no stable version answered its metadata)' : `stable version "${baselineName}"`
  return {
    name: 'metadata',
    passed: problems.length === 0,
    detail: problems.length === 0 ? `inputs and outputs compatible with ${what}` : `not compatible with ${what}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`,
    figures: { problems: problems.length, comparedWith: ref === null ? null : baselineName }
  }
}

export function outputsCheck (cases: readonly GoldenCase[], candidate: readonly ReplicaProbe[], baseline: readonly ReplicaProbe[], b: Budgets): VerificationCheck {
  let expectedCompared = 0
  let expectedFailed = 0
  let stableCompared = 0
  let stableWithin = 0
  let exact = 0
  let maxAbsDiff = 0
  const failures: string[] = []
  cases.forEach((c, i) => {
    const tol = c.tolerance ?? b.tolerance
    const stable = baseline.map(p => p.answers[0]?.[i]).find(a => a !== undefined && ok(a) && a.outputs !== null)?.outputs ?? null
    for (const p of candidate) {
      const a = p.answers[0]?.[i]
      if (a === undefined || !ok(a)) continue
      let d: OutputDiff
      if (c.expected !== null) {
        d = a.outputs === null ? { comparable: false, exact: false, maxAbsDiff: -1 } : diffExpected(c.expected, a.outputs)
        expectedCompared++
      } else if (stable !== null) {
        d = a.outputs === null ? { comparable: false, exact: false, maxAbsDiff: -1 } : diffOutputs(stable, a.outputs)
        stableCompared++
      } else {
        continue
      }
      const within = d.comparable && d.maxAbsDiff <= tol
      if (d.exact) exact++
      if (d.comparable && d.maxAbsDiff > maxAbsDiff) maxAbsDiff = d.maxAbsDiff
      if (c.expected !== null && !within) {
        expectedFailed++
        if (failures.length < 3) failures.push(`line ${c.line} on ${p.url}: ${d.comparable ? `off by ${fmt(d.maxAbsDiff)} (tolerance ${tol})` : 'outputs not comparable (names or shapes differ)'}`)
      }
      if (c.expected === null && within) stableWithin++
    }
  })
  const compared = expectedCompared + stableCompared
  const agreement = stableCompared === 0 ? null : stableWithin / stableCompared
  const reasons: string[] = []
  if (expectedFailed > 0) reasons.push(`${expectedFailed} of ${expectedCompared} answers outside the expected outputs' tolerance: ${failures.join('; ')}`)
  if (agreement !== null && agreement < b.minAgreement) reasons.push(`agrees with the stable version on ${pct(agreement)} of answers, needs ${pct(b.minAgreement)}`)
  return {
    name: 'outputs',
    passed: reasons.length === 0,
    detail: reasons.length > 0
      ? reasons.join('; ')
      : compared === 0 ? 'nothing to compare: no expected outputs, no stable answers' : `all ${expectedCompared} expected outputs within tolerance${agreement === null ? '' : `; ${pct(agreement)} agreement with the stable version`}`,
    figures: { compared, exact, expectedCompared, expectedFailed, stableCompared, stableAgreement: agreement, agreementRate: compared === 0 ? null : (expectedCompared - expectedFailed + stableWithin) / compared, maxAbsDiff }
  }
}

export function latencyCheck (candidate: readonly ReplicaProbe[], baseline: readonly ReplicaProbe[], b: Budgets): VerificationCheck {
  const base = p99(baseline.flatMap(p => p.answers.flat().filter(ok).map(a => a.ms)))
  const budget = base === null ? null : base * b.latencyRatio + b.latencySlackMs
  const figures: VerificationCheck['figures'] = { stableP99Ms: round(base), budgetMs: round(budget) }
  const slow: string[] = []
  let worst: number | null = null
  for (const p of candidate) {
    const q = p99(p.answers.flat().filter(ok).map(a => a.ms))
    figures[`p99Ms ${p.url}`] = round(q)
    if (q !== null && (worst === null || q > worst)) worst = q
    if (q !== null && budget !== null && q > budget) slow.push(`${p.url} p99 ${q.toFixed(1)} ms`)
  }
  figures.worstP99Ms = round(worst)
  return {
    name: 'latency',
    passed: slow.length === 0,
    detail: budget === null
      ? 'no stable latencies to compare with; not judged'
      : slow.length === 0 ? `every replica's p99 within ${budget.toFixed(1)} ms (stable p99 ${base!.toFixed(1)} ms x ${b.latencyRatio} + ${b.latencySlackMs} ms)` : `over the budget of ${budget.toFixed(1)} ms (stable p99 ${base!.toFixed(1)} ms x ${b.latencyRatio} + ${b.latencySlackMs} ms): ${slow.join('; ')}`,
    figures
  }
}

export function errorsCheck (candidate: readonly ReplicaProbe[]): VerificationCheck {
  let calls = 0
  let errors = 0
  const where: string[] = []
  for (const p of candidate) {
    const all = p.answers.flat()
    const bad = all.filter(a => !ok(a))
    calls += all.length
    errors += bad.length
    if (bad.length > 0) where.push(`${p.url}: ${bad.length} of ${all.length} failed (${bad[0]!.error})`)
  }
  return {
    name: 'errors',
    passed: errors === 0,
    detail: errors === 0 ? `${calls} calls, no error` : where.join('; '),
    figures: { calls, errors }
  }
}

/** Nearest-rank 99th percentile. */
function p99 (xs: number[]): number | null {
  if (xs.length === 0) return null
  xs.sort((a, b) => a - b)
  return xs[Math.min(xs.length - 1, Math.ceil(0.99 * xs.length) - 1)]!
}

function firstError (p: ReplicaProbe): string {
  return p.answers.flat().find(a => a.status === 0)?.error ?? 'unknown'
}

function round (x: number | null): number | null {
  return x === null ? null : Math.round(x * 100) / 100
}

function pct (x: number): string {
  return `${(x * 100).toFixed(1)}%`
}

function fmt (x: number): string {
  return x.toPrecision(3)
}
