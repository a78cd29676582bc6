/**
 * A plan's verify steps run the model's named suites (gateway/verify/) against
 * every replica of the candidate this instance serves; the verdict becomes the
 * step's checks, one per suite part and check, and the record is stored with
 * the version like any `model-gateway verify`.
 */
import type { VerificationRecord } from '../state/routing-state.js'
import type { Router } from '../proxy/router.js'
import type { RecordedSource } from '../verify/replay.js'
import { runSuites } from '../verify/suite-run.js'
import type { SuitesByModel } from '../verify/suites.js'
import type { CheckResult } from './check-registry.js'

export interface Verifier {
  /** Names of the model's suites (for checking a plan at start). */
  suiteNames (model: string): string[]
  /** Throws when the model is not served by this instance or names an unknown suite. */
  run (model: string, version: string, suites: readonly string[], actor: string): Promise<VerificationRecord>
}

export function suiteVerifier (router: Router, suites: SuitesByModel, recorded: RecordedSource | null, now: () => number): Verifier {
  return {
    suiteNames: (model) => Object.keys(suites[model] ?? {}),
    async run (model, version, names, actor) {
      const route = router.snapshot.models.get(model)
      if (route === undefined) throw new Error(`model "${model}" is not served by this instance`)
      const have = suites[model] ?? {}
      const list = names.map(n => {
        const s = have[n]
        if (s === undefined) throw new Error(`model "${model}" has no verification suite "${n}"`)
        return s
      })
      if (!route.versions.has(version)) throw new Error(`model "${model}" has no version "${version}"`)
      // The static list is what the gate compares; discovered replicas are this instance's own.
      return await runSuites(route, version, router.storedReplicas(model, version), list, { timeoutMs: route.cfg.requestTimeoutMs, recorded, now: now() }, actor)
    }
  }
}

/** A verification as a step's checks: one per suite, part and check. */
export function verificationChecks (v: VerificationRecord): CheckResult[] {
  return v.checks.map(c => ({
    check: `verify:${c.suite ?? 'golden'}${c.part === undefined ? '' : `/${c.part}`}:${c.name}`,
    verdict: c.passed ? 'pass' : 'fail',
    summary: c.detail,
    figures: Object.fromEntries(Object.entries(c.figures).map(([k, x]) => [k, typeof x === 'number' ? x : null]))
  }))
}
