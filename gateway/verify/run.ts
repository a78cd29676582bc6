/**
 * Runs a verification of one version: the golden set goes to each of
 * its replicas and, for comparison, to each replica of the stable version; the
 * five checks judge what came back. The result is a VerificationRecord, which
 * the caller stores in the routing state (revisioned, audited).
 */
import type { VerificationRecord } from '../state/routing-state.js'
import type { Model } from '../proxy/router.js'
import { errorsCheck, latencyCheck, metadataCheck, outputsCheck, replicasCheck, type Budgets } from './checks.js'
import type { GoldenCase } from './golden.js'
import { probeReplica, type ProbeTarget } from './probe.js'

export interface VerifyOptions extends Budgets {
  /** Times each golden request goes to each replica (latency samples = rounds x requests). */
  rounds: number
  /** Deadline of one call. */
  timeoutMs: number
}

export const DEFAULT_ROUNDS = 3
export const MAX_ROUNDS = 20

/** `staticReplicas`: the version's replicas in the stored state; the route may hold discovered ones too. */
export async function runVerification (route: Model, version: string, staticReplicas: readonly string[], cases: readonly GoldenCase[], opts: VerifyOptions, actor: string): Promise<VerificationRecord> {
  const target = route.versions.get(version)
  if (target === undefined) throw new RangeError(`model "${route.name}" has no version "${version}"`)
  const baselineName = route.stable.name === version ? null : route.stable.name
  const baselineReplicas = baselineName === null ? [] : route.stable.replicas
  const at = (replica: ProbeTarget['replica'], v: typeof target): ProbeTarget => ({
    replica,
    inferPath: v.inferPath,
    metadataPath: v.metadataPath,
    timeoutMs: opts.timeoutMs,
    maxResponseBytes: route.cfg.maxResponseBytes
  })
  // Candidate and stable replicas are probed side by side, so both see the same machine load.
  const [candidate, baseline] = await Promise.all([
    Promise.all(target.replicas.map(r => probeReplica(at(r, target), cases, opts.rounds))),
    Promise.all(baselineReplicas.map(r => probeReplica(at(r, route.stable), cases, opts.rounds)))
  ])
  const checks = [
    replicasCheck(candidate),
    metadataCheck(candidate, baseline, baselineName),
    outputsCheck(cases, candidate, baseline, opts),
    latencyCheck(candidate, baseline, opts),
    errorsCheck(candidate)
  ]
  return {
    passed: checks.every(c => c.passed),
    at: new Date().toISOString(),
    by: actor,
    replicas: [...staticReplicas],
    discovered: target.replicas.map(r => r.url).filter(u => !staticReplicas.includes(u)),
    baseline: baselineName,
    goldenRequests: cases.length,
    checks
  }
}
