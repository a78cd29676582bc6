/**
 * The evidence of a shadow step: the candidate answered a share of live
 * requests off the response path, and each pair (primary, candidate) says how
 * far the outputs were apart, whether the candidate failed and how long each
 * took. Read from the instance's own tally (no pipeline needed) or from
 * ClickHouse's shadow_pairs (fleet-wide), since the step began; judged by three
 * checks, each inconclusive until the step has its minimum of pairs:
 *   shadow-agreement  share of pairs within tolerance >= minAgreement
 *   shadow-errors     share of mirrored requests the candidate failed <= maxErrorRate
 *   shadow-latency    candidate p99 <= primary p99 x maxLatencyRatio + latencySlackMs
 */
import type { ShadowSummary, ShadowTally } from '../observe/shadow-tally.js'
import { ClickHouse, type ClickHouseOptions } from '../sink/clickhouse.js'
import { shadowSummary } from '../sink/shadow-report.js'
import type { CheckResult } from './check-registry.js'
import type { ShadowStep } from './plan-steps.js'
import { fmt } from './analysis.js'

export interface ShadowEvidence {
  /** The candidate's pairs since `since` (epoch ms); null when it has none. Throws when the source is down. */
  summary (model: string, version: string, since: number, tolerance: number): Promise<ShadowSummary | null>
  close (): Promise<void>
}

/** This instance's pairs, in process. */
export function tallyEvidence (tally: ShadowTally): ShadowEvidence {
  return {
    summary: async (model, version, since, tolerance) => tally.summary(model, version, tolerance, since),
    close: async () => {}
  }
}

/** Every instance's pairs, from shadow_pairs (whole seconds). */
export function clickHouseEvidence (opts: ClickHouseOptions): ShadowEvidence {
  const ch = new ClickHouse({ requestTimeoutMs: 5_000, ...opts })
  return {
    summary: (model, version, since, tolerance) => shadowSummary(ch, model, version, Math.floor(since / 1000), tolerance),
    close: () => ch.close()
  }
}

export function shadowChecks (step: ShadowStep, s: ShadowSummary | null): CheckResult[] {
  const pairs = s?.pairs ?? 0
  const short = pairs < step.minPairs ? `: needs ${step.minPairs} pairs (have ${pairs})` : ''
  const verdict = (bad: boolean): CheckResult['verdict'] => short !== '' ? 'inconclusive' : bad ? 'fail' : 'pass'

  const agreement = s?.toleranceAgreement ?? null
  const errorRate = pairs === 0 ? null : (s?.shadowErrors ?? 0) / pairs
  const primary = s?.primaryP99Ms ?? null
  const shadow = s?.shadowP99Ms ?? null
  const budget = primary === null ? null : primary * step.maxLatencyRatio + step.latencySlackMs
  return [
    {
      check: 'shadow-agreement',
      verdict: verdict(agreement === null || agreement < step.minAgreement),
      summary: `${pct(agreement)} of ${s?.bothAnswered ?? 0} answered pairs within ${step.tolerance} (min ${pct(step.minAgreement)})${short}`,
      figures: { pairs, bothAnswered: s?.bothAnswered ?? 0, agreement, minAgreement: step.minAgreement, diffP99: s?.diffP99 ?? null }
    },
    {
      check: 'shadow-errors',
      verdict: verdict(errorRate !== null && errorRate > step.maxErrorRate),
      summary: `candidate failed ${pct(errorRate)} of ${pairs} mirrored requests (max ${pct(step.maxErrorRate)})${(s?.errors.length ?? 0) > 0 ? `: ${s!.errors.slice(0, 3).map(e => `${e.error === '' ? `HTTP ${e.status}` : e.error} x${e.n}`).join(', ')}` : ''}${short}`,
      figures: { pairs, shadowErrors: s?.shadowErrors ?? 0, errorRate, maxErrorRate: step.maxErrorRate }
    },
    {
      check: 'shadow-latency',
      verdict: verdict(shadow !== null && budget !== null && shadow > budget),
      summary: `p99 ${fmt(shadow)} ms vs primary ${fmt(primary)} ms (max x${step.maxLatencyRatio} + ${step.latencySlackMs} ms = ${fmt(budget)} ms)${short}`,
      figures: { shadowP99Ms: shadow, primaryP99Ms: primary, budgetMs: budget }
    }
  ]
}

function pct (x: number | null): string {
  return x === null ? '-' : `${(x * 100).toFixed(2)}%`
}
