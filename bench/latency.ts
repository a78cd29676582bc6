/**
 * Latency the gateway adds at the load a team actually runs, below saturation,
 * and what happens past it. One run:
 *
 * 1. capacity: each contender (direct, gateway, bare node:http + undici proxy,
 *    nginx) under a closed loop (wrk, 32 connections);
 * 2. open loop (bench/open-loop-client.ts: a fixed arrival rate, latency from
 *    when each request was due) at 25%, 50% and 75% of each proxy's own
 *    capacity; at each rate the model is also measured direct, and the latency
 *    a proxy adds is its quantile minus direct's at the same rate;
 * 3. overload: two model replicas behind the gateway (with and without
 *    gateway.overload) and behind nginx, offered twice what the replicas
 *    serve, through 2,048 connections: answered req/s, refusals, timeouts,
 *    p99 and max of the requests that were served.
 *
 * `npm run bench:latency`. Knobs: LATENCY_DURATION_S (10), LATENCY_CAPACITY_S
 * (5), LATENCY_WARMUP_S (3), LATENCY_OVERLOAD_S (10). Writes
 * bench/results/latency.json, latency.md and latency.svg.
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { stringify } from 'yaml'
import { killAllNow, readyLine, start, stopAll, type Child } from './lib/child.js'
import { clockTicksPerSecond, treeCpuTicks } from './lib/proc-cpu.js'
import { killLoad, runLoad } from './lib/load.js'
import { startNginx } from './lib/nginx.js'
import { checkInfer } from './lib/payload.js'
import { gatewayConfigYaml } from './lib/gateway-config.js'
import { findTools, versionOf } from './lib/tools.js'
import { intEnv } from './lib/env.js'
import { freePort } from './lib/ports.js'
import { lineChartSvg } from './lib/line-chart.js'

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '..', '..')
const resultsDir = join(repo, 'bench', 'results')
const fraudMain = join(repo, 'dist', 'scorer-sdk', 'examples', 'fraud', 'main.js')
const gatewayMain = join(repo, 'dist', 'gateway', 'main.js')
const bareProxyMain = join(here, 'bare-proxy.js')
const openLoopMain = join(here, 'open-loop-client.js')
const run = promisify(execFile)
const log = (s: string): void => { process.stdout.write(`${s}\n`) }

const FRACTIONS = [0.25, 0.5, 0.75] as const
const CAPACITY_CONNECTIONS = 32
const OVERLOAD_CONNECTIONS = 2048
/** Offered load in the overload row, as a multiple of what the two replicas serve direct. */
const OVERLOAD_FACTOR = 2
/** The gateway's shedding settings in the overload row: past 256 requests in flight (the two replicas hold far fewer) or 50 ms of event-loop delay, a fast 503. */
const OVERLOAD_SETTINGS = { maxEventLoopDelayMs: 50, maxInFlight: 256, retryAfterS: 1 }
const QUEUE_TIMEOUT_MS = 1_000
const CLIENT_TIMEOUT_MS = 5_000

interface OpenLoopResult {
  rate: number
  achievedRate: number
  sent: number
  ok: number
  non2xx: number
  failed: number
  p50Us: number
  p99Us: number
  p999Us: number
  maxUs: number
}

interface Contender { name: string, label: string, url: string, proxy: Child | undefined }

interface LatencyRow {
  contender: string
  fraction: number
  rate: number
  proxy: OpenLoopResult
  direct: OpenLoopResult
  addedUs: { p50: number, p99: number, p999: number }
  proxyCpuUsPerReq: number | null
}

interface OverloadRow { contender: string, offered: number, result: OpenLoopResult, answeredPerS: number }

async function openLoop (url: string, rate: number, durationS: number, connections: number, cores: string | undefined): Promise<OpenLoopResult> {
  const args = [openLoopMain, '--url', url, '--rate', String(Math.round(rate)), '--duration-s', String(durationS), '--connections', String(connections), '--timeout-ms', String(CLIENT_TIMEOUT_MS)]
  const [cmd, argv] = cores === undefined ? [process.execPath, args] : ['taskset', ['-c', cores, process.execPath, ...args]]
  const { stdout } = await run(cmd, argv, { timeout: (durationS + 30) * 1000, maxBuffer: 1 << 20 })
  const line = stdout.split('\n').find(l => l.startsWith('BENCH_RESULT '))
  if (line === undefined) throw new Error(`open-loop client printed no result:\n${stdout}`)
  return JSON.parse(line.slice('BENCH_RESULT '.length)) as OpenLoopResult
}

const ms = (us: number): string => Number.isFinite(us) ? (us / 1000).toFixed(2) : '—'

async function main (): Promise<number> {
  const durationS = intEnv('LATENCY_DURATION_S', 10, 1)
  const capacityS = intEnv('LATENCY_CAPACITY_S', 5, 1)
  const warmupS = intEnv('LATENCY_WARMUP_S', 3, 0)
  const overloadS = intEnv('LATENCY_OVERLOAD_S', 10, 1)
  const watchdog = setTimeout(() => {
    process.stderr.write('bench:latency: over its time budget; stopping everything\n')
    killAllNow()
    process.exit(1)
  }, (600 + 3 * 4 * 2 * (durationS + 10) + 4 * (capacityS + warmupS + 10) + 3 * (overloadS + 20)) * 1000)
  watchdog.unref()

  const tools = await findTools(log)
  for (const n of tools.notes) log(`note: ${n}`)
  if (tools.wrk === undefined) throw new Error('bench:latency needs wrk for the capacity runs')
  const pin = availableParallelism() >= 2 && tools.taskset !== undefined
  const loadCores = pin ? '0' : undefined
  const serverCores = pin ? '1' : undefined
  if (pin) await run('taskset', ['-p', '-c', '0', String(process.pid)])
  const layout = pin ? 'load generator on core 0; model replicas and proxy on core 1 (taskset)' : 'no CPU pinning'
  log(layout)
  const loadAtStart = loadavg()[0]!
  const tmp = await mkdtemp(join(tmpdir(), 'gw-latency-'))
  try {
    const origin = start('origin', process.execPath, [fraudMain, '--version', 'v1', '--port', '0'], serverCores)
    const originPort = Number((await readyLine(origin)).port)
    const originUrl = `http://127.0.0.1:${originPort}`
    const cfg = join(tmp, 'gateway.yaml')
    await writeFile(cfg, gatewayConfigYaml(originUrl, originUrl))
    const gateway = start('gateway', process.execPath, [gatewayMain, '--config', cfg, '--port', '0', '--admin-port', '0'], serverCores)
    const bare = start('bare', process.execPath, [bareProxyMain, '--upstream', originUrl, '--port', '0'], serverCores)
    const [gwReady, bareReady] = await Promise.all([readyLine(gateway), readyLine(bare)])
    const contenders: Contender[] = [
      { name: 'direct', label: 'direct (no proxy)', url: originUrl, proxy: undefined },
      { name: 'gateway', label: 'model-gateway', url: `http://127.0.0.1:${Number(gwReady.port)}`, proxy: gateway },
      { name: 'bare', label: 'bare node:http + undici', url: `http://127.0.0.1:${Number(bareReady.port)}`, proxy: bare }
    ]
    if (tools.nginx !== undefined) {
      const port = await freePort()
      contenders.push({ name: 'nginx', label: 'nginx', url: `http://127.0.0.1:${port}`, proxy: await startNginx(tools.nginx, join(tmp, 'nginx'), port, originPort, serverCores) })
    }
    for (const c of contenders) await checkInfer(c.url, c.name)

    // 1. capacity (closed loop)
    const capacity = new Map<string, number>()
    for (const c of contenders) {
      if (warmupS > 0) await runLoad('wrk', c.url, { connections: CAPACITY_CONNECTIONS, durationS: warmupS, threads: 1, cores: loadCores })
      const r = await runLoad('wrk', c.url, { connections: CAPACITY_CONNECTIONS, durationS: capacityS, threads: 1, cores: loadCores })
      capacity.set(c.name, r.reqPerSec)
      log(`capacity ${c.name.padEnd(8)} ${Math.round(r.reqPerSec).toString().padStart(7)} req/s (closed loop, ${CAPACITY_CONNECTIONS} connections)`)
    }

    // 2. open loop at fractions of each proxy's capacity, direct measured at the same rate
    const ticksPerS = await clockTicksPerSecond()
    const rows: LatencyRow[] = []
    for (const f of FRACTIONS) {
      for (const c of contenders.slice(1)) {
        const rate = f * capacity.get(c.name)!
        const direct = await openLoop(originUrl, rate, durationS, 512, loadCores)
        const before = await treeCpuTicks(c.proxy!.pid)
        const proxy = await openLoop(c.url, rate, durationS, 512, loadCores)
        const cpu = ((await treeCpuTicks(c.proxy!.pid)) - before) / ticksPerS * 1e6 / Math.max(1, proxy.ok + proxy.non2xx)
        const row: LatencyRow = {
          contender: c.name,
          fraction: f,
          rate,
          proxy,
          direct,
          addedUs: { p50: proxy.p50Us - direct.p50Us, p99: proxy.p99Us - direct.p99Us, p999: proxy.p999Us - direct.p999Us },
          proxyCpuUsPerReq: cpu
        }
        rows.push(row)
        log(`${Math.round(f * 100)}% ${c.name.padEnd(8)} ${Math.round(rate).toString().padStart(6)}/s  adds p50 ${ms(row.addedUs.p50)} p99 ${ms(row.addedUs.p99)} p99.9 ${ms(row.addedUs.p999)} ms  (direct p99 ${ms(direct.p99Us)})  CPU ${cpu.toFixed(0)} µs/req${proxy.failed + proxy.non2xx > 0 ? `  NOT OK ${proxy.failed + proxy.non2xx}` : ''}`)
      }
    }

    // 3. overload: two replicas, 2× what they serve, 2,048 connections
    const overload = await overloadRows(tmp, tools.nginx, serverCores, loadCores, overloadS, log)

    const cpu = cpus()[0]?.model ?? 'unknown CPU'
    const nginxVersion = tools.nginx === undefined ? 'none' : (await versionOf(tools.nginx, ['-v'])).replace(/^nginx version: /, '')
    const setup = [
      `capacity: wrk, ${CAPACITY_CONNECTIONS} connections, ${capacityS} s after ${warmupS} s warm-up; open loop: ${durationS} s per point, up to 512 connections, the fraud request of bench/lib/payload.ts with a new x-user-id each time`,
      layout,
      `gateway: canary 10%, sticky on x-user-id, scoring log off (bench/lib/gateway-config.ts); bare: bench/bare-proxy.ts; nginx ${nginxVersion}, 1 worker, upstream keepalive`,
      `overload: 2 replicas of the fraud model, offered ${OVERLOAD_FACTOR}× their direct capacity through ${OVERLOAD_CONNECTIONS} connections for ${overloadS} s; gateway queueTimeoutMs ${QUEUE_TIMEOUT_MS}, overload ${JSON.stringify(OVERLOAD_SETTINGS)}; client timeout ${CLIENT_TIMEOUT_MS} ms`,
      `${cpu}, Node ${process.version}; 1-minute load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`
    ]
    const md = markdown(rows, overload, capacity, setup)
    log(`\n${md}`)
    await mkdir(resultsDir, { recursive: true })
    await writeFile(join(resultsDir, 'latency.json'), `${JSON.stringify({ date: new Date().toISOString(), setup, capacity: Object.fromEntries(capacity), rows, overload }, null, 2)}\n`)
    await writeFile(join(resultsDir, 'latency.md'), md)
    await writeFile(join(resultsDir, 'latency.svg'), lineChartSvg(
      'Latency a proxy adds over direct, open loop',
      'p99 added (ms) at 25%, 50% and 75% of each proxy\'s own capacity',
      FRACTIONS.map(f => `${Math.round(f * 100)}%`),
      contenders.slice(1).map(c => ({ label: c.label, values: FRACTIONS.map(f => (rows.find(r => r.contender === c.name && r.fraction === f)?.addedUs.p99 ?? NaN) / 1000), highlight: c.name === 'gateway' }))
    ))
    log('wrote bench/results/latency.json, latency.md, latency.svg')
    return 0
  } finally {
    clearTimeout(watchdog)
    await stopAll()
    await rm(tmp, { recursive: true, force: true })
  }
}

async function overloadRows (tmp: string, nginx: string | undefined, serverCores: string | undefined, loadCores: string | undefined, durationS: number, say: (s: string) => void): Promise<OverloadRow[]> {
  const replicas = await Promise.all([0, 1].map(async (i) => {
    const child = start(`replica-${i}`, process.execPath, [fraudMain, '--version', 'v1', '--port', '0'], serverCores)
    return { child, url: `http://127.0.0.1:${Number((await readyLine(child)).port)}` }
  }))
  const direct = await Promise.all(replicas.map(r => runLoad('wrk', r.url, { connections: CAPACITY_CONNECTIONS / 2, durationS: 3, threads: 1, cores: loadCores })))
  const offered = OVERLOAD_FACTOR * direct.reduce((n, r) => n + r.reqPerSec, 0) / 2
  const gatewayWith = async (name: string, overload: object | undefined): Promise<string> => {
    const file = join(tmp, `${name}.yaml`)
    await writeFile(file, stringify({
      gateway: { host: '127.0.0.1', ...(overload === undefined ? {} : { overload }) },
      admin: { enabled: false },
      models: { fraud: { versions: { v1: { replicas: replicas.map(r => r.url) } }, release: { strategy: 'canary', stable: 'v1' }, queueTimeoutMs: QUEUE_TIMEOUT_MS } }
    }))
    const child = start(name, process.execPath, [gatewayMain, '--config', file, '--port', '0'], serverCores)
    return `http://127.0.0.1:${Number((await readyLine(child)).port)}`
  }
  const targets: Array<{ name: string, url: string }> = [
    { name: 'gateway, overload on', url: await gatewayWith('gw-shed', OVERLOAD_SETTINGS) },
    { name: 'gateway, overload off', url: await gatewayWith('gw-noshed', undefined) }
  ]
  if (nginx !== undefined) {
    const port = await freePort()
    await startNginx(nginx, join(tmp, 'nginx-overload'), port, replicas.map(r => Number(new URL(r.url).port)), serverCores)
    targets.push({ name: 'nginx', url: `http://127.0.0.1:${port}` })
  }
  const out: OverloadRow[] = []
  for (const t of targets) {
    const result = await openLoop(t.url, offered, durationS, OVERLOAD_CONNECTIONS, loadCores)
    const row = { contender: t.name, offered, result, answeredPerS: result.ok / durationS }
    out.push(row)
    say(`overload ${t.name.padEnd(22)} offered ${Math.round(offered)}/s  served ${Math.round(row.answeredPerS)}/s  refused ${result.non2xx}  failed ${result.failed}  served p99 ${ms(result.p99Us)} max ${ms(result.maxUs)} ms`)
  }
  return out
}

function markdown (rows: LatencyRow[], overload: OverloadRow[], capacity: Map<string, number>, setup: string[]): string {
  const lines = ['| proxy | load | rate (req/s) | adds p50 | adds p99 | adds p99.9 | direct p99 | proxy CPU µs/req |', '|---|---:|---:|---:|---:|---:|---:|---:|']
  for (const r of rows) lines.push(`| ${r.contender} | ${Math.round(r.fraction * 100)}% | ${Math.round(r.rate)} | ${ms(r.addedUs.p50)} ms | ${ms(r.addedUs.p99)} ms | ${ms(r.addedUs.p999)} ms | ${ms(r.direct.p99Us)} ms | ${r.proxyCpuUsPerReq?.toFixed(0) ?? '—'} |`)
  const at50 = (n: string): number => rows.find(r => r.contender === n && r.fraction === 0.5)?.addedUs.p99 ?? NaN
  const g = at50('gateway')
  const n = at50('nginx')
  lines.push('', `Capacity (closed loop): ${[...capacity].map(([k, v]) => `${k} ${Math.round(v)} req/s`).join(', ')}.`)
  lines.push('', `At 50% of capacity the gateway adds ${ms(g)} ms at p99 (aim ≤ 1 ms: ${g <= 1000 ? 'met' : 'not met'}); nginx adds ${ms(n)} ms (aim: gateway ≤ 2× nginx: ${Number.isFinite(n) ? (g <= 2 * Math.max(n, 0) ? 'met' : 'not met') : 'no nginx'}).`)
  lines.push('', '| overload | offered (req/s) | served (req/s) | refused (503) | timed out | served p99 | served max |', '|---|---:|---:|---:|---:|---:|---:|')
  for (const o of overload) lines.push(`| ${o.contender} | ${Math.round(o.offered)} | ${Math.round(o.answeredPerS)} | ${o.result.non2xx} | ${o.result.failed} | ${ms(o.result.p99Us)} ms | ${ms(o.result.maxUs)} ms |`)
  const shed = overload.find(o => o.contender === 'gateway, overload on')
  const ng = overload.find(o => o.contender === 'nginx')
  if (shed !== undefined && ng !== undefined) {
    lines.push('', `Overload: served p99 ${ms(shed.result.p99Us)} ms against nginx's ${ms(ng.result.p99Us)} ms (${(shed.result.p99Us / ng.result.p99Us).toFixed(2)}×, aim ≤ 1.5×); longest wait of a served request ${ms(shed.result.maxUs)} ms (queue timeout ${QUEUE_TIMEOUT_MS} ms); ${shed.result.failed} timed out.`)
  }
  lines.push('', ...setup.map(s => `- ${s}`), '')
  return lines.join('\n')
}

process.on('exit', () => { killLoad(); killAllNow() })
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killLoad()
    void stopAll().finally(() => process.exit(130))
  })
}
main().then((code) => { process.exitCode = code }, async (err: unknown) => {
  process.stderr.write(`bench:latency: ${(err as Error).stack ?? String(err)}\n`)
  await stopAll()
  process.exitCode = 1
})
