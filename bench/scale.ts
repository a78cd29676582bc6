/**
 * Scale benchmark: 1,000 models × 3 versions × 4 replicas, each
 * replica a distinct origin (a real listener on 127.1.0.x, see
 * lib/replica-farm.ts), against a one-model fleet of the same shape measured in
 * the same run. Figures:
 *
 * 1. routing decision per request (pure loop: model lookup, sticky version,
 *    replica pick) and applying one admin change to the snapshot (incremental,
 *    vs a full rebuild of every route), in process;
 * 2. gateway start-up time (spawn to ready line) and RSS (at ready, and after the
 *    first round of health probes);
 * 3. health-check CPU at the default interval (60 s): CPU of the gateway with
 *    checks on minus the same fleet with checks off, over a window, per probe;
 * 4. an admin change end to end (PUT split on the admin API of the big gateway);
 * 5. propagation of a change to 3 instances sharing Redis (scripts/services
 *    Redis, started here unless REDIS_URL is set): write on one, poll the other
 *    two until they have applied the revision.
 *
 * `npm run bench:scale`. Knobs: SCALE_MODELS (1000), SCALE_WINDOW_S (60),
 * SCALE_SETTLE_S (15), SCALE_CHANGES (20), BENCH_RUNS (5),
 * SCALE_REPLICA_KEEPALIVE_MS (5000, Node's default: how long a replica keeps an
 * idle connection; above the 60 s interval plus a second, probes reuse their
 * connections).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { killAllNow, readyLine, start, stop, stopAll, type Child } from './lib/child.js'
import { clockTicksPerSecond, treeCpuTicks } from './lib/proc-cpu.js'
import { intEnv } from './lib/env.js'
import { median, ratio } from './lib/stats.js'
import { measureRouting, type RoutingFigures } from './lib/scale-routing.js'
import { modelName, scaleConfig, SCALE_ADMIN_TOKEN, type ScaleShape } from './lib/scale-config.js'
import { startBenchRedis, type BenchRedis } from './lib/bench-redis.js'

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '..', '..')
const gatewayMain = join(repo, 'dist', 'gateway', 'main.js')
const farmMain = join(repo, 'dist', 'bench', 'lib', 'replica-farm.js')
const log = (s: string): void => { process.stdout.write(`${s}\n`) }
const AUTH = { authorization: `Bearer ${SCALE_ADMIN_TOKEN}` }

interface Gw { child: Child, admin: string, startMs: number, rssReadyMb: number }

async function rssMb (pid: number): Promise<{ rss: number, hwm: number }> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN)
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 }
}

async function startGateway (name: string, dir: string, config: object): Promise<Gw> {
  const file = join(dir, `${name}.json`)
  await writeFile(file, JSON.stringify(config))
  const t0 = performance.now()
  const child = start(name, process.execPath, [gatewayMain, '--config', file, '--port', '0', '--admin-port', '0'], undefined, { ...process.env, LOG_LEVEL: 'warn' })
  const ready = await readyLine(child, 120_000)
  const startMs = performance.now() - t0
  return { child, admin: `http://127.0.0.1:${ready.adminPort as number}`, startMs, rssReadyMb: (await rssMb(child.pid)).rss }
}

async function adminJson<T> (base: string, method: 'GET' | 'PUT', path: string, body?: object): Promise<T> {
  const res = await request(base + path, { method, headers: body === undefined ? AUTH : { ...AUTH, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  const json = await res.body.json() as T
  if (res.statusCode !== 200) throw new Error(`${method} ${path}: ${res.statusCode} ${JSON.stringify(json)}`)
  return json
}

async function probesDone (base: string): Promise<number> {
  const text = await (await request(`${base}/metrics`)).body.text()
  let n = 0
  for (const l of text.split('\n')) if (l.startsWith('model_gateway_health_check_duration_seconds_count{')) n += Number(l.slice(l.lastIndexOf(' ') + 1))
  return n
}

async function unhealthy (base: string): Promise<number> {
  const { replicas } = await adminJson<{ replicas: Array<{ healthy: boolean }> }>(base, 'GET', '/admin/health')
  return replicas.filter(r => !r.healthy).length
}

/** One split change written on `writer`, timed until every reader has applied its revision. */
async function propagation (writer: string, readers: readonly string[], model: string, weight: number): Promise<number> {
  const t0 = performance.now()
  const { revision } = await adminJson<{ revision: number }>(writer, 'PUT', `/admin/models/${model}/split`, { weights: { v1: 10_000 - weight, v2: weight } })
  await Promise.all(readers.map(async (r) => {
    for (;;) {
      const v = await adminJson<{ revision: number }>(r, 'GET', `/admin/models/${model}`)
      if (v.revision >= revision) return
      if (performance.now() - t0 > 10_000) throw new Error(`${r} did not apply revision ${revision} within 10 s`)
      await sleep(2)
    }
  }))
  return performance.now() - t0
}

async function fleetPropagation (redis: BenchRedis, dir: string, shape: ScaleShape, origins: readonly string[], changes: number, tag: string): Promise<number[]> {
  const state = { store: 'redis', redisUrl: redis.url, keyPrefix: `bench-scale-${tag}-${process.pid}` }
  const gws: Gw[] = []
  for (let i = 0; i < 3; i++) gws.push(await startGateway(`${tag}-${i}`, dir, scaleConfig(shape, origins, { healthCheck: { enabled: false }, state })))
  try {
    const times: number[] = []
    for (let i = 0; i < changes; i++) {
      const w = gws[i % 3]!
      times.push(await propagation(w.admin, gws.filter(g => g !== w).map(g => g.admin), modelName((i * 37) % shape.models), 100 + i * 10))
    }
    return times
  } finally {
    await Promise.all(gws.map(g => stop(g.child)))
  }
}

async function main (): Promise<void> {
  const models = intEnv('SCALE_MODELS', 1000)
  const windowS = intEnv('SCALE_WINDOW_S', 60)
  const settleS = intEnv('SCALE_SETTLE_S', 15)
  const changes = intEnv('SCALE_CHANGES', 20)
  const runs = intEnv('BENCH_RUNS', 5)
  const keepAliveMs = intEnv('SCALE_REPLICA_KEEPALIVE_MS', 5000)
  const big: ScaleShape = { models, versions: 3, replicas: 4 }
  const small: ScaleShape = { models: 1, versions: 3, replicas: 4 }
  const replicas = models * 12
  log(`scale bench: ${models} models × 3 versions × 4 replicas = ${replicas} replicas; baseline: 1 model of the same shape`)

  log('1. routing decision and snapshot change, in process')
  const rBig = await measureRouting(big, runs)
  const rSmall = await measureRouting(small, runs)

  const dir = await mkdtemp(join(tmpdir(), 'bench-scale-'))
  let redis: BenchRedis | undefined
  try {
    log('2. replica farm')
    const perAddress = 100
    const addresses = Array.from({ length: Math.ceil(replicas / perAddress) }, (_, i) => `127.1.${i >> 8}.${(i & 255) + 1}`)
    const half = Math.ceil(addresses.length / 2)
    const farms = [addresses.slice(0, half), addresses.slice(half)].filter(a => a.length > 0)
      .map((a, i) => start(`farm-${i}`, process.execPath, [farmMain, '--addresses', a.join(','), '--per-address', String(perAddress), '--keep-alive-ms', String(keepAliveMs)]))
    const origins = (await Promise.all(farms.map(f => readyLine(f, 120_000)))).flatMap(l => l.origins as string[])
    log(`   ${origins.length} listeners on ${addresses.length} loopback addresses in ${farms.length} processes, idle connections kept ${keepAliveMs} ms`)

    log('3. start-up, RSS, health-check CPU (default interval)')
    const g0 = await startGateway('one-model', dir, scaleConfig(small, origins))
    const g1 = await startGateway('fleet-checks-on', dir, scaleConfig(big, origins))
    const g2 = await startGateway('fleet-checks-off', dir, scaleConfig(big, origins, { healthCheck: { enabled: false } }))
    await sleep(settleS * 1000)
    const hz = await clockTicksPerSecond()
    // The probe count is read outside the CPU window: one scrape of 12,000 replicas' gauges costs the checks-on gateway alone.
    const probes0 = await probesDone(g1.admin)
    const cpu0 = await Promise.all([g0, g1, g2].map(g => treeCpuTicks(g.child.pid)))
    await sleep(windowS * 1000)
    const cpu1 = await Promise.all([g0, g1, g2].map(g => treeCpuTicks(g.child.pid)))
    const probes1 = await probesDone(g1.admin)
    const rss = await Promise.all([g0, g1, g2].map(g => rssMb(g.child.pid)))
    const down = await unhealthy(g1.admin)
    const cpuPct = cpu1.map((c, i) => ((c - cpu0[i]!) / hz) / windowS * 100)
    const probes = probes1 - probes0
    const checkCpuUsPerProbe = probes > 0 ? ((cpu1[1]! - cpu0[1]!) - (cpu1[2]! - cpu0[2]!)) / hz * 1e6 / probes : Number.NaN

    log('4. admin change end to end on the big gateway')
    const admin: number[] = []
    const floor: number[] = []
    for (let i = 0; i < changes; i++) {
      const t0 = performance.now()
      await adminJson(g1.admin, 'PUT', `/admin/models/${modelName((i * 53) % models)}/split`, { weights: { v1: 9000 - i, v2: 1000 + i } })
      admin.push(performance.now() - t0)
      // Baseline in the same moment: the admin listener's cheapest answer.
      const t1 = performance.now()
      await (await request(`${g1.admin}/healthz`)).body.text()
      floor.push(performance.now() - t1)
    }
    await Promise.all([g0, g1, g2].map(g => stop(g.child)))

    log('5. propagation to 3 instances sharing Redis')
    redis = await startBenchRedis(log)
    const propBig = await fleetPropagation(redis, dir, big, origins, changes, 'big')
    const propSmall = await fleetPropagation(redis, dir, small, origins, changes, 'small')
    await Promise.all(farms.map(f => stop(f)))

    const report = render({ models, replicas, windowS, keepAliveMs, rBig, rSmall, g0, g1, g2, rss, cpuPct, probes, checkCpuUsPerProbe, down, admin, floor, propBig, propSmall })
    log(`\n${report}`)
    const out = join(repo, 'bench', 'results')
    mkdirSync(out, { recursive: true })
    writeFileSync(join(out, 'scale.md'), `${report}\n`)
    log('written to bench/results/scale.md')
  } finally {
    await stopAll()
    await redis?.close()
    await rm(dir, { recursive: true, force: true })
  }
}

interface Figures {
  models: number
  replicas: number
  windowS: number
  keepAliveMs: number
  rBig: RoutingFigures
  rSmall: RoutingFigures
  g0: Gw
  g1: Gw
  g2: Gw
  rss: Array<{ rss: number, hwm: number }>
  cpuPct: number[]
  probes: number
  checkCpuUsPerProbe: number
  down: number
  admin: number[]
  floor: number[]
  propBig: number[]
  propSmall: number[]
}

function render (f: Figures): string {
  const ms = (n: number): string => `${n.toFixed(n < 10 ? 2 : 0)} ms`
  const mb = (n: number): string => `${n.toFixed(0)} MB`
  const x = (a: number, b: number): string => `×${ratio(a, b).toFixed(2)}`
  const mark = (ok: boolean): string => ok ? 'met' : 'MISSED'
  return [
    `## Scale: ${f.models} models × 3 versions × 4 replicas (${f.replicas} replicas) vs 1 model`,
    '',
    `Load average at the end of the run: ${loadavg().map(n => n.toFixed(1)).join(' / ')} on ${availableParallelism()} cores (other work on the machine inflates absolute times; compare the ratios).`,
    '',
    '| figure | fleet | one model | ratio | aim |',
    '|---|---|---|---|---|',
    `| routing decision per request (pure loop) | ${(f.rBig.decisionNs / 1000).toFixed(3)} µs | ${(f.rSmall.decisionNs / 1000).toFixed(3)} µs | ${x(f.rBig.decisionNs, f.rSmall.decisionNs)} | < 2 µs: ${mark(f.rBig.decisionNs < 2000)} |`,
    `| apply one admin change to the snapshot (median / p95 / max) | ${ms(f.rBig.changeMs.median)} / ${ms(f.rBig.changeMs.p95)} / ${ms(f.rBig.changeMs.max)} | ${ms(f.rSmall.changeMs.median)} | ${x(f.rBig.changeMs.median, f.rSmall.changeMs.median)} | < 50 ms (p95): ${mark(f.rBig.changeMs.p95 < 50)} |`,
    `| same, state parsed from JSON as the Redis store does (apply / parse) | ${ms(f.rBig.changeFromJsonMs.median)} / ${ms(f.rBig.parseStateMs)} | ${ms(f.rSmall.changeFromJsonMs.median)} / ${ms(f.rSmall.parseStateMs)} | | |`,
    `| full rebuild of every route (before: what every change cost) | ${ms(f.rBig.fullRebuildMs)} | ${ms(f.rSmall.fullRebuildMs)} | ${x(f.rBig.fullRebuildMs, f.rBig.changeMs.median)} of incremental | |`,
    `| one version's DNS answer changes (snapshot swap) | ${ms(f.rBig.discoveredChangeMs)} | ${ms(f.rSmall.discoveredChangeMs)} | | |`,
    `| gateway start-up (spawn to ready) | ${ms(f.g1.startMs)} (checks off: ${ms(f.g2.startMs)}) | ${ms(f.g0.startMs)} | ${x(f.g1.startMs, f.g0.startMs)} | |`,
    `| RSS at ready | ${mb(f.g1.rssReadyMb)} | ${mb(f.g0.rssReadyMb)} | ${x(f.g1.rssReadyMb, f.g0.rssReadyMb)} | |`,
    `| RSS after ${f.windowS} s of health checks (peak) | ${mb(f.rss[1]!.rss)} (${mb(f.rss[1]!.hwm)}) | ${mb(f.rss[0]!.rss)} (${mb(f.rss[0]!.hwm)}) | ${x(f.rss[1]!.rss, f.rss[0]!.rss)} | < 300 MB: ${mark(f.rss[1]!.hwm < 300)} |`,
    `| RSS, same fleet with checks off | ${mb(f.rss[2]!.rss)} | | | |`,
    `| gateway CPU over ${f.windowS} s, checks on (default 60 s interval) | ${f.cpuPct[1]!.toFixed(1)}% of a core | ${f.cpuPct[0]!.toFixed(1)}% | | |`,
    `| gateway CPU over ${f.windowS} s, same fleet with checks off | ${f.cpuPct[2]!.toFixed(1)}% of a core | | | |`,
    `| health probes in the window / CPU per probe (on minus off), replicas keep idle connections ${f.keepAliveMs / 1000} s | ${f.probes} / ${f.checkCpuUsPerProbe.toFixed(0)} µs | | | ≤ 150 µs: ${mark(f.checkCpuUsPerProbe <= 150)} |`,
    `| replicas marked unhealthy at the end (all answer) | ${f.down} | | | 0 |`,
    `| admin change end to end (PUT split, median / max) vs GET /healthz on the same listener | ${ms(median(f.admin))} / ${ms(Math.max(...f.admin))} | healthz ${ms(median(f.floor))} | ${x(median(f.admin), median(f.floor))} | |`,
    `| propagation to 2 other instances via Redis (median / max) | ${ms(median(f.propBig))} / ${ms(Math.max(...f.propBig))} | ${ms(median(f.propSmall))} / ${ms(Math.max(...f.propSmall))} | ${x(median(f.propBig), median(f.propSmall))} | < 1 s: ${mark(Math.max(...f.propBig) < 1000)} |`
  ].join('\n')
}

process.on('SIGINT', () => {
  killAllNow()
  process.exit(130)
})

main().catch(async (err: unknown) => {
  process.stderr.write(`bench:scale failed: ${(err as Error).stack ?? String(err)}\n`)
  await stopAll()
  process.exit(1)
})
