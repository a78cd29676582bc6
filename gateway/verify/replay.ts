/**
 * A replay suite: recorded production requests of the stable version (sampled
 * records with their bodies, from ClickHouse) sent to every replica of the
 * candidate at a given concurrency, each answer compared with what stable
 * answered then. Golden files hold the cases someone thought of; recorded
 * traffic holds the ones that happen. Three checks:
 *   outputs  share of answers within tolerance of stable's recorded answer >= minAgreement
 *   errors   share of calls failed <= maxErrorRate
 *   latency  candidate p99 under this load <= stable's recorded p99 x latencyRatio + latencySlackMs
 */
import type { VerificationCheck } from '../state/routing-state.js'
import type { Model } from '../proxy/router.js'
import { diffOutputs, parseOutputs } from '../proxy/output-diff.js'
import { call, type ProbeTarget } from './probe.js'
import type { ReplaySettings } from './suites.js'

/** One recorded exchange of the stable version. */
export interface RecordedExchange {
  requestBody: Buffer
  responseBody: Buffer
  /** What the gateway measured for it then. */
  latencyMs: number
}

/** Where recorded traffic comes from (ClickHouse: gateway/sink/recorded.ts). */
export interface RecordedSource {
  /** The newest `limit` 2xx live exchanges of `version` in [from, to) with whole JSON bodies. */
  recorded (model: string, version: string, from: number, to: number, limit: number): Promise<RecordedExchange[]>
}

export async function runReplay (route: Model, version: string, source: RecordedSource | null, r: ReplaySettings, now: number, timeoutMs: number): Promise<VerificationCheck[]> {
  const target = route.versions.get(version)
  const stable = route.stable.name
  const fail = (detail: string): VerificationCheck[] => [{ name: 'outputs', passed: false, detail, figures: {} }]
  if (target === undefined) return fail(`model "${route.name}" has no version "${version}"`)
  if (target.replicas.length === 0) return fail('the version has no replica to replay to')
  if (source === null) return fail('replay needs recorded traffic from ClickHouse: set rollouts.clickhouseUrl (or CLICKHOUSE_URL)')
  let recorded: RecordedExchange[]
  try {
    recorded = await source.recorded(route.name, stable, now - r.windowMs, now, r.requests)
  } catch (err) {
    return fail(`cannot read recorded traffic: ${(err as Error).message.slice(0, 200)}`)
  }
  if (recorded.length === 0) return fail(`no recorded requests of "${stable}" in the last ${Math.round(r.windowMs / 60_000)} min (sampling with captureBodies on, and the pipeline running?)`)

  const answers: Array<{ ms: number, ok: boolean, within: boolean, comparable: boolean, diff: number, error: string | null }> = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < recorded.length) {
      const i = next++
      const ex = recorded[i]!
      const replica = target.replicas[i % target.replicas.length]!
      const t: ProbeTarget = { replica, inferPath: target.inferPath, metadataPath: target.metadataPath, timeoutMs, maxResponseBytes: route.cfg.maxResponseBytes }
      const a = await call(t, replica.prefix + target.inferPath, ex.requestBody, true)
      const then = parseOutputs(ex.responseBody)
      const d = a.outputs === null || then === null ? null : diffOutputs(then, a.outputs)
      answers.push({ ms: a.ms, ok: a.status >= 200 && a.status < 300, comparable: d?.comparable === true, diff: d?.maxAbsDiff ?? -1, within: d !== null && d.comparable && d.maxAbsDiff <= r.tolerance, error: a.error })
    }
  }
  await Promise.all(Array.from({ length: Math.min(r.concurrency, recorded.length) }, worker))

  const n = answers.length
  const okAnswers = answers.filter(a => a.ok)
  const agreement = okAnswers.length === 0 ? 0 : okAnswers.filter(a => a.within).length / okAnswers.length
  const errorRate = (n - okAnswers.length) / n
  const worst = okAnswers.filter(a => a.comparable).reduce((m, a) => Math.max(m, a.diff), 0)
  const candidateP99 = p99(okAnswers.map(a => a.ms))
  const stableP99 = p99(recorded.map(x => x.latencyMs))!
  const budget = stableP99 * r.latencyRatio + r.latencySlackMs
  const firstError = answers.find(a => !a.ok)?.error
  const checks: VerificationCheck[] = [
    {
      name: 'outputs',
      passed: okAnswers.length > 0 && agreement >= r.minAgreement,
      detail: `${pct(agreement)} of ${okAnswers.length} replayed answers within ${r.tolerance} of what "${stable}" answered (needs ${pct(r.minAgreement)}); largest difference ${worst.toPrecision(3)}`,
      figures: { replayed: n, answered: okAnswers.length, agreement, minAgreement: r.minAgreement, maxAbsDiff: worst }
    },
    {
      name: 'errors',
      passed: errorRate <= r.maxErrorRate,
      detail: `${n - okAnswers.length} of ${n} replayed calls failed${firstError === undefined || firstError === null ? '' : ` (${firstError.slice(0, 120)})`}; at most ${pct(r.maxErrorRate)}`,
      figures: { calls: n, errors: n - okAnswers.length, errorRate }
    },
    {
      name: 'latency',
      passed: candidateP99 !== null && candidateP99 <= budget,
      detail: `p99 ${candidateP99 === null ? '-' : candidateP99.toFixed(1)} ms at ${r.concurrency} in flight vs "${stable}" recorded p99 ${stableP99.toFixed(1)} ms (budget x${r.latencyRatio} + ${r.latencySlackMs} ms = ${budget.toFixed(1)} ms)`,
      figures: { concurrency: r.concurrency, candidateP99Ms: candidateP99, stableP99Ms: stableP99, budgetMs: budget }
    }
  ]
  return checks.map(c => ({ ...c, part: 'replay' }))
}

function p99 (xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)]!
}

function pct (x: number): string {
  return `${(x * 100).toFixed(1)}%`
}
