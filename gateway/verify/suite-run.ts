/**
 * Runs named verification suites against one version: each golden file of a
 * suite with its own tolerances (run.ts), then the suite's replay of recorded
 * traffic (replay.ts). One record for all of them, each check named with its
 * suite and part, passed only when every check passed.
 */
import type { VerificationCheck, VerificationRecord } from '../state/routing-state.js'
import type { Model } from '../proxy/router.js'
import { runVerification } from './run.js'
import { runReplay, type RecordedSource } from './replay.js'
import type { LoadedSuite } from './suites.js'

export interface SuiteRunOptions {
  /** Deadline of one call. */
  timeoutMs: number
  recorded: RecordedSource | null
  now: number
}

export async function runSuites (route: Model, version: string, staticReplicas: readonly string[], suites: readonly LoadedSuite[], opts: SuiteRunOptions, actor: string): Promise<VerificationRecord> {
  const checks: VerificationCheck[] = []
  let golden = 0
  let discovered: string[] = []
  let baseline: string | null = route.stable.name === version ? null : route.stable.name
  for (const s of suites) {
    for (const f of s.files) {
      const r = await runVerification(route, version, staticReplicas, f.cases, {
        tolerance: f.tolerance, minAgreement: f.minAgreement, latencyRatio: s.latencyRatio, latencySlackMs: s.latencySlackMs, rounds: s.rounds, timeoutMs: opts.timeoutMs
      }, actor)
      golden += r.goldenRequests
      discovered = r.discovered ?? []
      baseline = r.baseline
      for (const c of r.checks) checks.push({ ...c, suite: s.name, part: f.file })
    }
    if (s.replay !== null) {
      for (const c of await runReplay(route, version, opts.recorded, s.replay, opts.now, opts.timeoutMs)) checks.push({ ...c, suite: s.name })
    }
  }
  const target = route.versions.get(version)
  return {
    passed: checks.length > 0 && checks.every(c => c.passed),
    at: new Date(opts.now).toISOString(),
    by: actor,
    replicas: [...staticReplicas],
    discovered: discovered.length > 0 ? discovered : (target?.replicas ?? []).map(r => r.url).filter(u => !staticReplicas.includes(u)),
    baseline,
    goldenRequests: golden,
    checks,
    suites: suites.map(s => s.name)
  }
}
