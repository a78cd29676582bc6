/**
 * Admin API of verification and shadow traffic:
 *   POST   /admin/models/{m}/versions/{v}/verify        run a verification (a golden set, or named suites), store its result
 *   GET    /admin/models/{m}/versions/{v}/verification  the stored result
 *   PUT    /admin/models/{m}/shadow                     mirror a share of live requests to a version
 *   DELETE /admin/models/{m}/shadow                     stop mirroring
 *   GET    /admin/models/{m}/shadow?version=&tolerance= this instance's shadow results
 * Writes go through the store's compare-and-set and audit log, like every verb.
 */
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { AdminModule } from './listener.js'
import { ModelParams, QueryValue, VersionParams } from './validation.js'
import type { Router } from '../proxy/router.js'
import type { StateStore } from '../control/store.js'
import { errors } from '../errors.js'
import { modelView, type ModelView } from './control-routes.js'
import type { ShadowState, VerificationRecord } from '../state/routing-state.js'
import { recordVerification, setShadow, stopShadow } from '../control/release-gate.js'
import { TOTAL_BP } from '../state/split.js'
import { GoldenError, goldenCases, MAX_GOLDEN_BYTES, MAX_GOLDEN_REQUESTS } from '../verify/golden.js'
import { DEFAULT_BUDGETS } from '../verify/checks.js'
import { DEFAULT_ROUNDS, MAX_ROUNDS, runVerification } from '../verify/run.js'
import { DEFAULT_SHADOW_TOLERANCE, type ShadowTally } from '../observe/shadow-tally.js'
import { runSuites } from '../verify/suite-run.js'
import type { LoadedSuite, SuitesByModel } from '../verify/suites.js'
import type { RecordedSource } from '../verify/replay.js'
import type { GoldenCase } from '../verify/golden.js'

function casesOf (golden: unknown[], model: string, version: string): GoldenCase[] {
  try {
    return goldenCases(golden, 'golden')
  } catch (err) {
    if (err instanceof GoldenError) throw errors.invalid(err.message, { model, version })
    throw err
  }
}

/** The model's suites by name; an unknown name is refused, naming the ones it has. */
export function suitesOf (all: SuitesByModel, model: string, names: readonly string[]): LoadedSuite[] {
  const have = all[model] ?? {}
  return names.map(n => {
    const s = have[n]
    if (s === undefined) throw errors.invalid(`model "${model}" has no verification suite "${n}" (has: ${Object.keys(have).join(', ') || 'none'})`, { model })
    return s
  })
}

const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' })
const strict = { additionalProperties: false } as const
const VerifyBody = Type.Object({
  golden: Type.Optional(Type.Array(Type.Unknown(), { minItems: 1, maxItems: MAX_GOLDEN_REQUESTS })),
  suites: Type.Optional(Type.Array(Name, { minItems: 1, maxItems: 32 })),
  tolerance: Type.Optional(Type.Number({ minimum: 0 })),
  minAgreement: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  latencyRatio: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })),
  latencySlackMs: Type.Optional(Type.Number({ minimum: 0, maximum: 60_000 })),
  rounds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ROUNDS }))
}, strict)
const ShadowBody = Type.Object({
  version: Name,
  weight: Type.Integer({ minimum: 1, maximum: TOTAL_BP }),
  revision: Type.Optional(Type.Integer({ minimum: 0 }))
}, strict)

const ShadowQuery = Type.Object({ version: QueryValue, tolerance: QueryValue })

/** What POST …/verify takes (the CLI sends it as is). */
export type VerifyRequest = Static<typeof VerifyBody>
type OnModel = { Params: Static<typeof ModelParams> }
/** POST …/verify: the model after the verification was stored, and the verification. */
export interface VerifyAnswer { revision: number, model: ModelView, version: string, verification: VerificationRecord }
/** PUT and DELETE …/shadow */
export interface ShadowAnswer { revision: number, model: ModelView, shadow: ShadowState | null }
type OnVersion = { Params: Static<typeof VersionParams> }

export interface ReleaseAdminDeps {
  store: StateStore
  router: Router
  shadowTally: ShadowTally
  /** The config's verification suites by model. */
  suites: SuitesByModel
  /** Recorded traffic for replay suites (ClickHouse), or null. */
  recorded: RecordedSource | null
}

export function releaseAdminModule ({ store, router, shadowTally, suites, recorded }: ReleaseAdminDeps): AdminModule {
  return (app: FastifyInstance) => {
    void app.register(async (scope) => {
      scope.post<OnVersion & { Body: VerifyRequest }>(
        '/admin/models/:model/versions/:version/verify',
        { schema: { params: VersionParams, body: VerifyBody }, bodyLimit: MAX_GOLDEN_BYTES + 64 * 1024 },
        async (request): Promise<VerifyAnswer> => {
          const { model, version } = request.params
          const ms = store.get().models[model]
          if (ms === undefined) throw errors.unknownModel(model)
          if (ms.versions[version] === undefined) throw errors.unknownVersion(model, version, Object.keys(ms.versions))
          const route = router.snapshot.models.get(model)
          if (route === undefined) throw errors.invalid(`model "${model}" is not served by this instance (not in its config)`, { model })
          const b = request.body
          const actor = request.principal?.name ?? 'unknown'
          if ((b.golden === undefined) === (b.suites === undefined)) throw errors.invalid('body: give either golden (a golden set) or suites (names of the model\'s verification suites)', { model, version })
          const record = b.suites !== undefined
            ? await runSuites(route, version, ms.versions[version]!.replicas, suitesOf(suites, model, b.suites), { timeoutMs: route.cfg.requestTimeoutMs, recorded, now: Date.now() }, actor)
            : await runVerification(route, version, ms.versions[version]!.replicas, casesOf(b.golden!, model, version), {
            tolerance: b.tolerance ?? DEFAULT_BUDGETS.tolerance,
            minAgreement: b.minAgreement ?? DEFAULT_BUDGETS.minAgreement,
            latencyRatio: b.latencyRatio ?? DEFAULT_BUDGETS.latencyRatio,
            latencySlackMs: b.latencySlackMs ?? DEFAULT_BUDGETS.latencySlackMs,
            rounds: b.rounds ?? DEFAULT_ROUNDS,
            timeoutMs: route.cfg.requestTimeoutMs
          }, actor)
          const detail = { version, passed: record.passed, failed: record.checks.filter(c => !c.passed).map(c => c.suite === undefined ? c.name : `${c.suite}/${c.part ?? ''}/${c.name}`), goldenRequests: record.goldenRequests, ...(b.suites === undefined ? {} : { suites: b.suites }) }
          const s = await store.update(undefined, recordVerification(model, version, record), { actor, action: 'verify', model, detail })
          request.log.info({ actor, action: 'verify', model, detail, revision: s.revision }, 'verification stored')
          return { revision: s.revision, model: modelView(router, model, s.models[model]!), version, verification: record }
        })

      scope.get<OnVersion>('/admin/models/:model/versions/:version/verification', { schema: { params: VersionParams } }, async (request) => {
        const { model, version } = request.params
        const s = store.get()
        const ms = s.models[model]
        if (ms === undefined) throw errors.unknownModel(model)
        if (ms.versions[version] === undefined) throw errors.unknownVersion(model, version, Object.keys(ms.versions))
        return { revision: s.revision, version, required: ms.requireVerification === true, verification: ms.verifications?.[version] ?? null }
      })

      scope.put<OnModel & { Body: Static<typeof ShadowBody> }>(
        '/admin/models/:model/shadow', { schema: { params: ModelParams, body: ShadowBody } },
        async (request): Promise<ShadowAnswer> => {
          const { model } = request.params
          const { version, weight, revision } = request.body
          const actor = request.principal?.name ?? 'unknown'
          const s = await store.update(revision, setShadow(model, version, weight, actor), { actor, action: 'shadow', model, detail: { version, weight } })
          return { revision: s.revision, model: modelView(router, model, s.models[model]!), shadow: s.models[model]!.shadow ?? null }
        })

      scope.get<OnModel & { Querystring: Static<typeof ShadowQuery> }>('/admin/models/:model/shadow', { schema: { params: ModelParams, querystring: ShadowQuery } }, async (request) => {
        const { model } = request.params
        const ms = store.get().models[model]
        if (ms === undefined) throw errors.unknownModel(model)
        const version = request.query.version ?? ms.shadow?.version
        const tol = request.query.tolerance === undefined ? DEFAULT_SHADOW_TOLERANCE : Number(request.query.tolerance)
        if (!(tol >= 0) || !Number.isFinite(tol)) throw errors.invalid(`tolerance must be a number >= 0, got ${JSON.stringify(request.query.tolerance?.slice(0, 40))}`)
        return { revision: store.get().revision, shadow: ms.shadow ?? null, summary: version === undefined ? null : shadowTally.summary(model, version, tol) }
      })

      scope.delete<OnModel>('/admin/models/:model/shadow', { schema: { params: ModelParams } }, async (request): Promise<ShadowAnswer> => {
        const { model } = request.params
        const actor = request.principal?.name ?? 'unknown'
        const before = store.get().models[model]?.shadow ?? null
        const s = await store.update(undefined, stopShadow(model), { actor, action: 'shadow-stop', model, detail: { version: before?.version ?? null } })
        return { revision: s.revision, model: modelView(router, model, s.models[model]!), shadow: null }
      })
    })
  }
}
