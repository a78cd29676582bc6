// Shared by the release-*.test.ts files: a stable fraud model, a canary with
// fault knobs, a gateway process with a fast rollout controller, a background
// load with sticky users, and polling of the rollout status over the admin API.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { expect } from 'vitest'
import { request } from 'undici'
import { startModel, type ModelProcess, type StartModelOptions } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { repoRoot } from '../../scripts/processes/ready-process.js'
import { startGrpcLoad } from '../support/grpc-load.js'
import { runLoad, startLoad } from '../support/load.js'
import { eventually } from '../support/eventually.js'

export const TOKEN = 'release-admin-token-0123456789'
export const INFER_BODY = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [620, 200, 7, 265] }] })

/** Steps of a few seconds; checks on, with minimum samples the background load reaches in the first step. */
/**
 * Timeout of a test that runs a rollout under load: room for warm() (30 s) and
 * waitForRollout() (up to 90 s) on a loaded machine, where bakes get extended
 * (maxExtension 30 s); vitest's default 30 s would cut such a test short.
 */
export const ROLLOUT_TEST_TIMEOUT_MS = 150_000

export function fastPlan (over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    steps: [{ weight: '20%', bake: '6s' }, { weight: '50%', bake: '4s' }],
    interval: '500ms',
    maxExtension: '30s',
    alpha: 0.05,
    checks: {
      // About what a 5% error rate needs to show against 0% at this alpha (mSPRT), and enough for the rank and KS tests.
      errors: { minRequests: 400 },
      // Two cores shared by load, gateway and models: a process taking a fifth of the load wakes up later
      // than one kept busy, which moves its quantiles by several ms (measured: p95 17 vs 6 ms for identical models).
      latency: { minRequests: 150, maxRatio: { p50: 2, p95: 3 }, minIncreaseMs: 15 },
      outputs: { minSamples: 100, output: 'fraud_probability' }
    },
    ...over
  }
}

export interface GatewayOptions {
  stable: ModelProcess
  canary: ModelProcess
  rollouts?: Record<string, unknown>
  state?: Record<string, unknown>
  logging?: Record<string, unknown>
  plan?: Record<string, unknown>
  /** release.requireVerification of the model. */
  requireVerification?: boolean
  /** verification.suites of the model. */
  suites?: Record<string, unknown>
  /** Extra keys at the top of the config (admin, gateway, …). */
  top?: Record<string, unknown>
  /** Extra keys of the fraud model (segments, …). */
  model?: Record<string, unknown>
  /** The protocol of the replicas and of the background load: REST (default) or gRPC only. */
  transport?: 'rest' | 'grpc'
  /** The config's gateway section (e.g. overload). */
  gateway?: Record<string, unknown>
  /** Admin tokens beside the harness's admin token (e.g. a read token). */
  tokens?: Array<{ name: string, token: string, role: 'read' | 'admin' }>
}

export function gatewayConfig (o: GatewayOptions): Record<string, unknown> {
  const replica = (m: ModelProcess): string => o.transport === 'grpc' ? m.grpcUrl! : m.url
  return {
    ...(o.transport === 'grpc' ? { grpc: { enabled: true } } : {}),
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }, ...(o.tokens ?? [])] },
    ...(o.gateway === undefined ? {} : { gateway: o.gateway }),
    ...(o.state === undefined ? {} : { state: o.state }),
    ...(o.logging === undefined ? {} : { logging: o.logging }),
    rollouts: { tickMs: 100, ...o.rollouts },
    models: {
      fraud: {
        sticky: { header: 'x-user-id' },
        versions: { v1: { replicas: [replica(o.stable)] }, v3: { replicas: [replica(o.canary)] } },
        release: { strategy: 'canary', stable: 'v1', ...(o.plan === undefined ? {} : { rollout: o.plan }), ...(o.requireVerification === undefined ? {} : { requireVerification: o.requireVerification }) },
        healthCheck: { enabled: false },
        outlierDetection: { enabled: false },
        sampling: { rate: 1, captureBodies: true },
        ...(o.suites === undefined ? {} : { verification: { suites: o.suites } }),
        ...o.model
      }
    },
    ...o.top
  }
}

/** A model of another name served by the fraud processes (upstream mapping): v1 stable, v3 registered; `extra` merged in (release keys into release). */
export function mappedModel (stable: ModelProcess, canary: ModelProcess, extra: { release?: Record<string, unknown>, [k: string]: unknown } = {}): Record<string, unknown> {
  const { release, ...rest } = extra
  return {
    versions: { v1: { replicas: [stable.url], upstream: { model: 'fraud' } }, v3: { replicas: [canary.url], upstream: { model: 'fraud' } } },
    release: { strategy: 'canary', stable: 'v1', ...release },
    healthCheck: { enabled: false },
    ...rest
  }
}

/** The repository's golden set for the fraud model (config/golden/fraud.ndjson), as a suite with its own tolerance. */
export const GOLDEN_FILE = join(repoRoot(), 'config', 'golden', 'fraud.ndjson')

export interface ReleaseSetup {
  stable: ModelProcess
  canary: ModelProcess
  gw: GatewayProcess
  transport: 'rest' | 'grpc'
  stop (): Promise<void>
}

/** v1 (stable) and v3 (canary, v1's weights unless `canary.shift`), one gateway. */
export async function startSetup (canary: Partial<StartModelOptions> = {}, stableOpts: number | Partial<StartModelOptions> = 0, extra: Partial<GatewayOptions> = {}, warmCanary = true): Promise<ReleaseSetup> {
  const grpc = extra.transport === 'grpc'
  // A number is the stable version's added delay (ms); an object, its model options.
  const stable = await startModel({ version: 'v1', grpc, ...(typeof stableOpts === 'number' ? { delayMs: stableOpts } : stableOpts) })
  const can = await startModel({ version: 'v3', ...canary, grpc })
  const gw = await startGatewayProcess(gatewayConfig({ stable, canary: can, ...extra }), { env: { LOG_LEVEL: 'info' } })
  // A new model process answers its first few hundred requests slower (JIT); readiness probes warm it in a real deployment.
  await Promise.all([warmModel(stable.url), warmCanary ? warmModel(can.url) : Promise.resolve()])
  return {
    stable,
    canary: can,
    gw,
    transport: extra.transport ?? 'rest',
    async stop () {
      await gw.stop()
      await Promise.all([stable.stop(), can.stop()])
    }
  }
}

export async function warmModel (url: string, n = 400): Promise<void> {
  const r = await runLoad({ url, concurrency: 4, maxRequests: n, maxMs: 120_000, request: (i) => ({ body: features(i) }), stopWorkerOnError: true })
  const error = Object.keys(r.statuses).find(k => k.startsWith('error'))
  if (error !== undefined) throw new Error(`warming the model failed: ${error}`)
}

export interface AdminAnswer {
  status: number
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any
}

/** Anything with an admin URL: a gateway process, or a gateway started in the test's own process. */
export type AdminTarget = Pick<GatewayProcess, 'adminUrl'>

export async function adminCall (gw: AdminTarget, method: 'GET' | 'POST' | 'DELETE', path: string, body?: object, token = TOKEN): Promise<AdminAnswer> {
  const res = await request(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.body.text()
  return { status: res.statusCode, json: text === '' ? null : JSON.parse(text) }
}

export async function startRollout (gw: AdminTarget, plan: Record<string, unknown>, version = 'v3'): Promise<AdminAnswer> {
  return adminCall(gw, 'POST', '/admin/models/fraud/rollout', { version, plan })
}

/** Polls the rollout status until `done` holds; the last status on timeout. */
export async function waitForRollout (gw: AdminTarget, done: (rollout: { status: string, step: number, reason: string | null }) => boolean, timeoutMs = 60_000, model = 'fraud'): Promise<AdminAnswer> {
  let last: AdminAnswer | undefined
  return await eventually(async () => {
    last = await adminCall(gw, 'GET', `/admin/models/${model}/rollout`).catch(() => last)
    if (last?.status === 200 && done(last.json.rollout)) return last
    throw new Error(`rollout did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last?.json?.rollout ?? last)}`)
  }, { timeoutMs, intervalMs: 200 })
}

/** Waits until the load has had `n` answers (a warm gateway and models before the rollout starts). */
export async function warm (load: BackgroundLoad, n = 300, timeoutMs = 30_000): Promise<void> {
  const answered = (): number => [...load.statuses.values()].reduce((a, b) => a + b, 0)
  await eventually(() => {
    if (answered() < n) throw new Error(`load reached only ${answered()} answers in ${timeoutMs} ms`)
  }, { timeoutMs, intervalMs: 100 })
}

export interface BackgroundLoad {
  /** Answers per version so far (from x-model-version). */
  versions: Map<string, number>
  statuses: Map<number, number>
  /** Answers per tag (LoadOptions.tag), then per version. */
  tagged: Map<string, Map<string, number>>
  /** Epoch ms of the first answer from `watch`, or null. */
  firstFrom: number | null
  /** Epoch ms of the last answer from `watch`, or null. */
  lastFrom: number | null
  stop (): Promise<void>
}

/** Requests with sticky users (x-user-id) and `concurrency` in flight until stopped (or `maxMs` passed). */
export interface LoadOptions {
  concurrency?: number
  maxMs?: number
  watch?: string
  path?: string
  /** The n-th request's body (default features(n)). */
  body?: (n: number) => string
  /** A tag per request (e.g. its region): answers per tag and version land in `tagged`. */
  tag?: (n: number) => string
}

export function backgroundLoad (url: string, opts: LoadOptions = {}): BackgroundLoad {
  const out: BackgroundLoad = {
    versions: new Map(),
    statuses: new Map(),
    tagged: new Map(),
    firstFrom: null,
    lastFrom: null,
    async stop () {
      await load.stop()
    }
  }
  const load = startLoad({
    url,
    concurrency: opts.concurrency ?? 6,
    maxRequests: Number.MAX_SAFE_INTEGER,
    maxMs: opts.maxMs ?? 120_000,
    request: (n) => ({ path: opts.path, headers: { 'x-user-id': `user-${n}` }, body: opts.body?.(n) ?? features(n) }),
    errorPauseMs: 50,
    onAnswer: ({ i: n, status, version: v }) => {
      out.statuses.set(status, (out.statuses.get(status) ?? 0) + 1)
      if (v === undefined) return
      if (opts.tag !== undefined) {
        const t = opts.tag(n)
        const m = out.tagged.get(t) ?? new Map<string, number>()
        m.set(v, (m.get(v) ?? 0) + 1)
        out.tagged.set(t, m)
      }
      out.versions.set(v, (out.versions.get(v) ?? 0) + 1)
      if (v === opts.watch) {
        out.firstFrom ??= Date.now()
        out.lastFrom = Date.now()
      }
    }
  })
  return out
}

/** A request body whose features vary with n, so predictions have a distribution to compare. */
export function features (n: number): string {
  return JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: featureValues(n) }] })
}

export function featureValues (n: number): number[] {
  const u = (k: number): number => ((n * 2654435761 + k * 40503) >>> 0) % 1000 / 1000
  return [50 + 1500 * u(1), 5 + 900 * u(2), 1 + 15 * u(3), 2 + 600 * u(4)]
}

/** backgroundLoad's counterpart over gRPC (sticky users in metadata); `statuses` counts gRPC status codes. */
export function grpcBackgroundLoad (target: string, opts: { concurrency?: number, maxMs?: number } = {}): BackgroundLoad {
  const load = startGrpcLoad({ target, model: 'fraud', concurrency: opts.concurrency ?? 6, maxRequests: 1_000_000, maxMs: opts.maxMs ?? 120_000, features: featureValues, sticky: true })
  const p = load.progress
  return {
    versions: p.versions,
    statuses: p.codes,
    tagged: new Map(),
    firstFrom: null,
    lastFrom: null,
    async stop () { await load.stop() }
  }
}

/** The model's split as the admin API shows it, version -> basis points. */
export async function splitOf (gw: AdminTarget): Promise<Record<string, number>> {
  const res = await adminCall(gw, 'GET', '/admin/models/fraud')
  return Object.fromEntries((res.json.model.split as Array<{ version: string, weight: number }>).map(e => [e.version, e.weight]))
}

export interface Fleet {
  stable: ModelProcess
  canary: ModelProcess
  gateways: GatewayProcess[]
  stop (): Promise<void>
}

/** `n` gateways sharing one routing state in Redis (own key prefix), each running a rollout controller. */
export async function startFleet (n: number, redisUrl: string, rollouts: Record<string, unknown> = {}, extra: { state?: (i: number) => Record<string, unknown>, logging?: Record<string, unknown> } = {}): Promise<Fleet> {
  const stable = await startModel({ version: 'v1' })
  const canary = await startModel({ version: 'v3' })
  const state = { store: 'redis', redisUrl, keyPrefix: `release-test-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}` }
  const gateways: GatewayProcess[] = []
  for (let i = 0; i < n; i++) {
    const config = gatewayConfig({ stable, canary, state: { ...state, ...extra.state?.(i) }, logging: extra.logging, rollouts: { leaseTtlMs: 1500, ...rollouts } })
    gateways.push(await startGatewayProcess(config, { env: { LOG_LEVEL: 'info', GATEWAY_INSTANCE_ID: `gw-${i}` } }))
  }
  await Promise.all([warmModel(stable.url), warmModel(canary.url)])
  return {
    stable,
    canary,
    gateways,
    async stop () {
      await Promise.all(gateways.map(g => g.stop()))
      await Promise.all([stable.stop(), canary.stop()])
    }
  }
}

export interface JournalView { at: number, instanceId: string, action: string, step: number, weight: number, reason: string }

export async function journalOf (gw: AdminTarget): Promise<JournalView[]> {
  const res = await adminCall(gw, 'GET', '/admin/models/fraud/rollout/explain')
  return res.status === 200 ? res.json.entries as JournalView[] : []
}

/**
 * Runs a rollout of the setup's bad canary under load and asserts what every
 * bad canary must show: rolled back in its first step for `reason`, stable
 * back at 100%, the rollback audited as the controller's. Returns the failing
 * check's figures from the audit entry.
 */
export async function expectRolledBackInFirstStep (s: ReleaseSetup, check: string, reason: RegExp): Promise<Record<string, number>> {
  const load = backgroundLoad(s.gw.url)
  try {
    await warm(load)
    expect((await startRollout(s.gw, fastPlan())).status).toBe(201)
    const done = await waitForRollout(s.gw, r => r.status !== 'running')
    expect(done.json.rollout).toMatchObject({ status: 'rolled-back', step: 0 })
    expect(done.json.rollout.reason).toMatch(reason)
  } finally {
    await load.stop()
  }
  const entry = await expectControllerRollback(s.gw)
  return entry.detail.checks.find((c: { check: string }) => c.check === check).figures
}

/** v1 is back at 100% and the newest rollback in the audit log is the controller's; returns that entry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function expectControllerRollback (gw: AdminTarget): Promise<any> {
  expect(await splitOf(gw)).toEqual({ v1: 10_000 })
  const audit = await adminCall(gw, 'GET', '/admin/audit?limit=5')
  const entry = audit.json.entries.find((e: { action: string }) => e.action === 'rollout-rollback')
  expect(entry.actor).toMatch(/^rollout-controller@/)
  return entry
}

const CLI = join(process.cwd(), 'dist', 'gateway', 'cli', 'main.js')

/** Runs `model-gateway rollout <args>` against `gw`; resolves with its stdout, rejects with its stderr. */
export function rolloutCli (gw: GatewayProcess, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, 'rollout', ...args, '--admin-url', gw.adminUrl!, '--token', TOKEN], (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}
