/**
 * Rollout benchmark: how well the release controller judges canaries, measured
 * on real gateway and model processes with sticky user traffic.
 *
 * 1. False rollbacks: ROLLOUT_RUNS (20) rollouts of a good canary (same weights
 *    and latency as stable), each run to promotion or rollback; the next run
 *    rolls the previous stable out again, so every run starts from a fresh release.
 * 2. Bad canaries: ROLLOUT_BAD_RUNS (3) each of 5% 500s, 3x latency and shifted
 *    predictions: the time from the first answer the canary gave a user to the
 *    moment every gateway instance has the rollback applied (its own state shows
 *    the canary at 0), and how many user requests the canary answered. The
 *    baseline is the first step's bake time, the soonest a step could pass.
 *
 * 3. Cold starts: ROLLOUT_COLD_RUNS (20) canaries, each a fresh process that
 *    answers its first 200 requests 40 ms slower and is registered at runtime,
 *    rolled out with a warm-up step (600 golden requests to its replica first):
 *    how many are promoted.
 *
 * With ROLLOUT_SEGMENTS=1 (the default) users carry a region (x-region: eu, us,
 * apac) and the model declares those segments, so every check also runs per
 * segment (alpha split over them).
 *
 * With REDIS_URL set, ROLLOUT_INSTANCES (2) gateways share the state in Redis
 * (lease, fenced writes, pub/sub); without it, one gateway with the memory
 * store. Analysis reads each controller's local window. Knobs: ROLLOUT_RUNS,
 * ROLLOUT_BAD_RUNS, ROLLOUT_COLD_RUNS, ROLLOUT_SEGMENTS, ROLLOUT_CONCURRENCY (12),
 * ROLLOUT_INSTANCES. A run that ends held (too little data after the longest
 * extension) is aborted and counted apart.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool, request } from 'undici'
import { readyLine, start, stopAll, killAllNow } from './lib/child.js'
import { intEnv } from './lib/env.js'
import { median, minMax } from './lib/stats.js'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const fraudMain = join(repo, 'dist', 'scorer-sdk', 'examples', 'fraud', 'main.js')
const gatewayMain = join(repo, 'dist', 'gateway', 'main.js')
const TOKEN = 'rollout-bench-token-0123456789'
const RUNS = intEnv('ROLLOUT_RUNS', 20)
const BAD_RUNS = intEnv('ROLLOUT_BAD_RUNS', 3)
const COLD_RUNS = intEnv('ROLLOUT_COLD_RUNS', 20)
const SEGMENTS = intEnv('ROLLOUT_SEGMENTS', 1) === 1
const REGIONS = ['eu', 'us', 'apac']
const GOLDEN = join(repo, 'config', 'golden', 'fraud.ndjson')
const CONCURRENCY = intEnv('ROLLOUT_CONCURRENCY', 12)
const REDIS_URL = process.env.REDIS_URL
const INSTANCES = REDIS_URL === undefined ? 1 : intEnv('ROLLOUT_INSTANCES', 2)
const RUN_TIMEOUT_MS = 120_000
const STABLE_DELAY_MS = 20
const FIRST_BAKE_S = 6

/** The plan the integration tests use: steps of seconds, all three checks. */
const PLAN = {
  steps: [{ weight: '20%', bake: `${FIRST_BAKE_S}s` }, { weight: '50%', bake: '4s' }],
  interval: '500ms',
  maxExtension: '30s',
  alpha: 0.05,
  checks: {
    errors: { minRequests: 400 },
    latency: { minRequests: 150, maxRatio: { p50: 2, p95: 3 }, minIncreaseMs: 15 },
    outputs: { minSamples: 100, output: 'fraud_probability' }
  }
}

const CANARIES: Record<string, { label: string, args: string[] }> = {
  v3: { label: 'good (same model)', args: ['--delay-ms', String(STABLE_DELAY_MS)] },
  v5: { label: '5% answered 500', args: ['--delay-ms', String(STABLE_DELAY_MS), '--error-rate', '0.05'] },
  v6: { label: '3x latency', args: ['--delay-ms', String(3 * STABLE_DELAY_MS)] },
  v7: { label: 'shifted predictions', args: ['--delay-ms', String(STABLE_DELAY_MS), '--shift', '0.8'] }
}

function log (s: string): void { process.stdout.write(`${s}\n`) }

interface Gw { url: string, admin: string }

async function admin (gw: Gw, method: 'GET' | 'POST' | 'DELETE', path: string, body?: object): Promise<{ status: number, json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await request(`${gw.admin}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.body.text()
  return { status: res.statusCode, json: text === '' ? null : JSON.parse(text) }
}

function features (n: number): string {
  const u = (k: number): number => ((n * 2654435761 + k * 40503) >>> 0) % 1000 / 1000
  return JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [50 + 1500 * u(1), 5 + 900 * u(2), 1 + 15 * u(3), 2 + 600 * u(4)] }] })
}

interface Load { perVersion: Map<string, number>, firstAt: Map<string, number>, stop (): Promise<void> }

/** Closed-loop sticky traffic spread over the gateways until stopped. */
function load (gws: Gw[]): Load {
  const pools = gws.map(g => new Pool(g.url, { connections: CONCURRENCY }))
  const out: Load = { perVersion: new Map(), firstAt: new Map(), stop: async () => { stopped = true; await running; await Promise.all(pools.map(p => p.close())) } }
  let stopped = false
  let i = 0
  const worker = async (w: number): Promise<void> => {
    const pool = pools[w % pools.length]!
    while (!stopped) {
      const n = i++
      try {
        const res = await pool.request({ path: '/v2/models/fraud/infer', method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': `user-${n}`, 'x-region': REGIONS[n % REGIONS.length]! }, body: features(n) })
        await res.body.text()
        const v = res.headers['x-model-version']
        if (typeof v === 'string') {
          out.perVersion.set(v, (out.perVersion.get(v) ?? 0) + 1)
          if (!out.firstAt.has(v)) out.firstAt.set(v, Date.now())
        }
      } catch { await sleep(20) }
    }
  }
  const running = Promise.all(Array.from({ length: CONCURRENCY }, (_x, w) => worker(w)))
  return out
}

async function weightOn (gw: Gw, version: string): Promise<number> {
  const res = await admin(gw, 'GET', '/admin/models/fraud')
  return (res.json.model.split as Array<{ version: string, weight: number }>).find(e => e.version === version)?.weight ?? 0
}

interface Outcome { status: string, step: number, reason: string, ms: number, canaryRequests: number, rolledBackEverywhereMs: number | null }

/** One rollout of `version` under load, to its end; for a rollback, when every instance applied it. */
async function rollout (gws: Gw[], version: string, plan: object = PLAN): Promise<Outcome> {
  const traffic = load(gws)
  await sleep(1000)
  const t0 = Date.now()
  const res = await admin(gws[0]!, 'POST', '/admin/models/fraud/rollout', { version, plan })
  if (res.status !== 201) throw new Error(`rollout start answered ${res.status}: ${JSON.stringify(res.json)}`)
  let r: { status: string, step: number, reason: string }
  let everywhere: number | null = null
  for (;;) {
    if (Date.now() - t0 > RUN_TIMEOUT_MS) throw new Error(`rollout of ${version} still running after ${RUN_TIMEOUT_MS} ms`)
    r = (await admin(gws[0]!, 'GET', '/admin/models/fraud/rollout')).json.rollout
    if (r.status === 'rolled-back') {
      // Rolled back in the stored state: wait until each instance has applied it.
      while ((await Promise.all(gws.map(g => weightOn(g, version)))).some(w => w > 0)) await sleep(20)
      everywhere = Date.now()
      break
    }
    if (r.status === 'held') {
      const view = (await admin(gws[0]!, 'GET', '/admin/models/fraud/rollout')).json.view
      for (const c of view.last?.checks ?? []) log(`      held: ${c.check} ${c.verdict}: ${c.summary}`)
      await admin(gws[0]!, 'POST', '/admin/models/fraud/rollout/abort')
      break
    }
    if (r.status !== 'running') break
    await sleep(50)
  }
  await traffic.stop()
  const first = traffic.firstAt.get(version)
  return { status: r.status, step: r.step, reason: r.reason, ms: Date.now() - t0, canaryRequests: traffic.perVersion.get(version) ?? 0, rolledBackEverywhereMs: everywhere === null || first === undefined ? null : everywhere - first }
}

async function main (): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'rollout-bench-'))
  try {
    const urls: Record<string, string> = {}
    for (const [v, c] of Object.entries({ v1: { args: ['--delay-ms', String(STABLE_DELAY_MS)] }, ...CANARIES })) {
      const child = start(`model ${v}`, process.execPath, [fraudMain, '--version', v, '--port', '0', ...c.args])
      urls[v] = `http://127.0.0.1:${Number((await readyLine(child)).port)}`
    }
    const config = {
      admin: { tokens: [{ name: 'bench', token: TOKEN, role: 'admin' }] },
      state: REDIS_URL === undefined ? { store: 'memory' } : { store: 'redis', redisUrl: REDIS_URL, keyPrefix: `rollout-bench-${Date.now().toString(36)}` },
      rollouts: { tickMs: 100, leaseTtlMs: 2000 },
      models: {
        fraud: {
          sticky: { header: 'x-user-id' },
          versions: Object.fromEntries(Object.entries(urls).map(([v, u]) => [v, { replicas: [u] }])),
          release: { strategy: 'canary', stable: 'v1' },
          healthCheck: { enabled: false },
          outlierDetection: { enabled: false },
          verification: { suites: { base: { files: [{ file: GOLDEN, tolerance: 0.00001 }] } } },
          ...(SEGMENTS ? { segments: { header: 'x-region', values: REGIONS } } : {})
        }
      }
    }
    const file = join(tmp, 'gateway.json')
    await writeFile(file, JSON.stringify(config))
    const gws: Gw[] = []
    for (let i = 0; i < INSTANCES; i++) {
      const child = start(`gateway ${i}`, process.execPath, [gatewayMain, '--config', file, '--port', '0', '--admin-port', '0'], undefined, { ...process.env, LOG_LEVEL: 'warn', GATEWAY_INSTANCE_ID: `bench-${i}` })
      const ready = await readyLine(child)
      gws.push({ url: `http://127.0.0.1:${Number(ready.port)}`, admin: `http://127.0.0.1:${Number(ready.adminPort)}` })
    }
    log(`${INSTANCES} gateway instance(s) (${REDIS_URL === undefined ? 'memory store' : 'Redis store'}), ${CONCURRENCY} requests in flight, stable delay ${STABLE_DELAY_MS} ms, first step ${PLAN.steps[0]!.weight} for ${FIRST_BAKE_S} s, segments ${SEGMENTS ? REGIONS.join('/') : 'off'}`)
    // Warm every model process (JIT) before judging it.
    for (const v of Object.keys(urls)) for (let k = 0; k < 300; k++) await request(`${urls[v]}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: features(k) }).then(r => r.body.text())

    // And the gateways (JIT, pools): a few seconds of traffic before the first judged rollout.
    const warm = load(gws)
    await sleep(5000)
    await warm.stop()

    let stable = 'v1'
    const good: Outcome[] = []
    for (let run = 0; run < RUNS; run++) {
      const canary = stable === 'v1' ? 'v3' : 'v1'
      const o = await rollout(gws, canary)
      good.push(o)
      log(`  good ${String(run + 1).padStart(2)}/${RUNS} ${canary}: ${o.status.padEnd(11)} ${(o.ms / 1000).toFixed(1)} s${o.status === 'promoted' ? '' : ` — ${o.reason}`}`)
      if (o.status === 'promoted') stable = canary
    }
    const bad: Record<string, Outcome[]> = {}
    for (const v of ['v5', 'v6', 'v7']) {
      bad[v] = []
      for (let run = 0; run < BAD_RUNS; run++) {
        const o = await rollout(gws, v)
        bad[v]!.push(o)
        log(`  ${CANARIES[v]!.label.padEnd(20)} ${run + 1}/${BAD_RUNS}: ${o.status.padEnd(11)} rolled back everywhere ${o.rolledBackEverywhereMs === null ? '-' : `${(o.rolledBackEverywhereMs / 1000).toFixed(2)} s`} after its first answer, ${o.canaryRequests} user requests — ${o.reason.slice(0, 90)}`)
      }
    }

    const cold = await coldStarts(gws, stable)

    const falseRollbacks = good.filter(o => o.status === 'rolled-back').length
    const held = good.filter(o => o.status === 'held').length
    log('')
    log(`good canary: ${good.filter(o => o.status === 'promoted').length}/${RUNS} promoted, ${falseRollbacks} false rollbacks, ${held} held for lack of data; median ${(median(good.map(o => o.ms)) / 1000).toFixed(1)} s per rollout`)
    log('| bad canary | caught in step 1 | first answer → rolled back on every instance (median, range) | vs first-step bake | user requests to the canary (median, range) |')
    log('|---|---|---|---|---|')
    for (const [v, os] of Object.entries(bad)) {
      const times = os.map(o => o.rolledBackEverywhereMs).filter((x): x is number => x !== null)
      const [tlo, thi] = times.length === 0 ? [NaN, NaN] : minMax(times)
      const [rlo, rhi] = minMax(os.map(o => o.canaryRequests))
      const caught = os.filter(o => o.status === 'rolled-back' && o.step === 0).length
      const med = times.length === 0 ? NaN : median(times)
      log(`| ${CANARIES[v]!.label} | ${caught}/${os.length} | ${(med / 1000).toFixed(2)} s (${(tlo / 1000).toFixed(2)}–${(thi / 1000).toFixed(2)}) | ${(med / 1000 / FIRST_BAKE_S).toFixed(2)}x | ${median(os.map(o => o.canaryRequests))} (${rlo}–${rhi}) |`)
    }
    if (cold.length > 0) log(`cold-start canary with warm-up: ${cold.filter(o => o.status === 'promoted').length}/${cold.length} promoted${cold.some(o => o.status !== 'promoted') ? ` (others: ${cold.filter(o => o.status !== 'promoted').map(o => `${o.status}: ${o.reason.slice(0, 80)}`).join('; ')})` : ''}, median ${(median(cold.map(o => o.ms)) / 1000).toFixed(1)} s per rollout`)
  } finally {
    await stopAll()
    await rm(tmp, { recursive: true, force: true })
  }
}

/**
 * Each run: a fresh canary process, slow for its first 200 requests, registered
 * at runtime and rolled out with a warm-up step first. The version it replaces
 * is retired (forced past its holdback) and its process stopped.
 */
async function coldStarts (gws: Gw[], stable: string): Promise<Outcome[]> {
  const out: Outcome[] = []
  let current = stable
  let currentChild: ReturnType<typeof start> | null = null
  for (let run = 0; run < COLD_RUNS; run++) {
    const version = `cold${run + 1}`
    const child = start(`model ${version}`, process.execPath, [fraudMain, '--version', version, '--weights', 'v1', '--port', '0', '--delay-ms', String(STABLE_DELAY_MS), '--cold-requests', '200', '--cold-delay-ms', '40'])
    const url = `http://127.0.0.1:${Number((await readyLine(child)).port)}`
    const reg = await admin(gws[0]!, 'POST', '/admin/models/fraud/versions', { name: version, replicas: [url] })
    if (reg.status !== 201) throw new Error(`register ${version} answered ${reg.status}: ${JSON.stringify(reg.json)}`)
    const o = await rollout(gws, version, { ...PLAN, steps: [{ warmup: { requests: 600, suite: 'base', concurrency: 4 } }, ...PLAN.steps] })
    out.push(o)
    log(`  cold start ${String(run + 1).padStart(2)}/${COLD_RUNS} ${version}: ${o.status.padEnd(11)} ${(o.ms / 1000).toFixed(1)} s${o.status === 'promoted' ? '' : ` — ${o.reason}`}`)
    const gone = o.status === 'promoted' ? current : version
    await admin(gws[0]!, 'DELETE', `/admin/models/fraud/versions/${gone}?force=true`)
    if (o.status === 'promoted') {
      if (currentChild !== null) currentChild.proc.kill('SIGTERM')
      current = version
      currentChild = child
    } else {
      child.proc.kill('SIGTERM')
    }
  }
  return out
}

process.on('SIGINT', () => { killAllNow(); process.exit(130) })
main().catch((err: unknown) => {
  process.stderr.write(`bench:rollout failed: ${(err as Error).stack ?? String(err)}\n`)
  killAllNow()
  process.exit(1)
})
