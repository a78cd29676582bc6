/**
 * A warm-up step: before the candidate is judged, every one of its replicas
 * gets a suite's requests (its golden files' requests, cycled, or its replay of
 * recorded stable traffic) directly, at a small concurrency. Real models start
 * cold — weights loaded on first use, code compiled on its first calls — and a
 * canary judged on its first minutes is judged on its cold start, which is not
 * how it will serve. These calls never reach users or the analysis.
 */
import type { Router } from '../proxy/router.js'
import type { RecordedSource } from '../verify/replay.js'
import { call } from '../verify/probe.js'
import type { SuitesByModel } from '../verify/suites.js'
import type { CheckResult } from './check-registry.js'
import type { WarmupStep } from './plan-steps.js'

/** A warm-up fails when more than this share of its calls failed (the candidate is not answering at all). */
export const MAX_WARMUP_FAILURES = 0.5

export interface Warmer {
  run (model: string, version: string, step: WarmupStep): Promise<CheckResult[]>
}

export function suiteWarmer (router: Router, suites: SuitesByModel, recorded: RecordedSource | null, now: () => number): Warmer {
  return {
    async run (model, version, step) {
      const route = router.snapshot.models.get(model)
      const target = route?.versions.get(version)
      if (route === undefined || target === undefined) throw new Error(`model "${model}" version "${version}" is not served by this instance`)
      const suite = suites[model]?.[step.suite]
      if (suite === undefined) throw new Error(`model "${model}" has no verification suite "${step.suite}"`)
      let bodies = suite.files.flatMap(f => f.cases.map(c => c.body))
      if (bodies.length === 0 && suite.replay !== null) {
        if (recorded === null) throw new Error('warm-up from a replay suite needs ClickHouse: set rollouts.clickhouseUrl')
        bodies = (await recorded.recorded(model, route.stable.name, now() - suite.replay.windowMs, now(), Math.min(step.requests, suite.replay.requests))).map(x => x.requestBody)
      }
      if (bodies.length === 0) throw new Error(`suite "${step.suite}" has no requests to warm up with`)
      const started = performance.now()
      let failed = 0
      await Promise.all(target.replicas.map(async (replica) => {
        let next = 0
        const t = { replica, inferPath: target.inferPath, metadataPath: target.metadataPath, timeoutMs: route.cfg.requestTimeoutMs, maxResponseBytes: route.cfg.maxResponseBytes }
        const worker = async (): Promise<void> => {
          while (next < step.requests) {
            const a = await call(t, replica.prefix + target.inferPath, bodies[next++ % bodies.length]!, false)
            if (a.status < 200 || a.status >= 300) failed++
          }
        }
        await Promise.all(Array.from({ length: step.concurrency }, worker))
      }))
      const sent = step.requests * target.replicas.length
      const seconds = (performance.now() - started) / 1000
      return [{
        check: 'warmup',
        verdict: target.replicas.length > 0 && failed / sent <= MAX_WARMUP_FAILURES ? 'pass' : 'fail',
        summary: `${step.requests} requests to each of ${target.replicas.length} replicas in ${seconds.toFixed(1)}s, ${failed} failed`,
        figures: { replicas: target.replicas.length, sent, failed, seconds }
      }]
    }
  }
}
