/**
 * Data-plane benchmark, in one run: the fraud example model as origin, then the
 * same load straight to it (baseline), through the gateway, through a plain
 * @fastify/http-proxy and through nginx. Contenders are interleaved round-robin
 * per run so drift (thermal, neighbours) spreads over all of them; results are
 * medians over runs, compared as ratios measured in the same run.
 *
 * `npm run bench` (= build + `node dist/bench/proxy.js`). Knobs from env:
 * BENCH_CONNECTIONS (32), BENCH_DURATION_S (10), BENCH_RUNS (5), BENCH_WARMUP_S (3).
 * Writes bench/results/latest.json, latest.md and proxy.svg.
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { killAllNow, readyLine, start, stopAll, type Child } from './lib/child.js'
import { clockTicksPerSecond, treeCpuTicks } from './lib/proc-cpu.js'
import { killLoad, runLoad, type LoadGenerator, type LoadOptions } from './lib/load.js'
import { startNginx } from './lib/nginx.js'
import { freePort } from './lib/ports.js'
import { BENCH_API_KEY, checkInfer, INFER_BODY } from './lib/payload.js'
import { gatewayConfigYaml } from './lib/gateway-config.js'
import { findTools, versionOf } from './lib/tools.js'
import { markdown, ratios, summarise, targets, textTable, type ContenderSummary, type RunSample } from './lib/report.js'
import { barChartSvg } from './lib/svg-chart.js'
import { intEnv } from './lib/env.js'
import { binaryMarkdown, binaryRow, writeBinaryBody, type BinaryContender, type BinaryResult } from './lib/binary-row.js'
import { BINARY_MODEL } from './lib/gateway-config.js'

const DEFAULT_CONNECTIONS = 32
const DEFAULT_DURATION_S = 10
const DEFAULT_RUNS = 5
const DEFAULT_WARMUP_S = 3
/** How long to wait for the fraud example to be built before giving up. */
const ORIGIN_WAIT_MS = 300_000
/** Per-run allowance for CPU sampling and process scheduling on top of the load itself. */
const RUN_OVERHEAD_S = 5
/** Allowance for installs, start-up and shutdown on top of the load time. */
const FIXED_OVERHEAD_S = 420

const here = dirname(fileURLToPath(import.meta.url)) // <repo>/dist/bench
const repo = join(here, '..', '..')
const resultsDir = join(repo, 'bench', 'results')
const fraudMain = join(repo, 'dist', 'scorer-sdk', 'examples', 'fraud', 'main.js')
const gatewayMain = join(repo, 'dist', 'gateway', 'main.js')
/** Extra node flags for the gateway alone (BENCH_GATEWAY_NODE_ARGS, space-separated), to try runtime settings. */
const gatewayNodeArgs = (): string[] => (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(a => a !== '')
const referenceProxyMain = join(here, 'reference-http-proxy.js')
const bareProxyMain = join(here, 'bare-proxy.js')
const binaryOriginMain = join(here, 'binary-origin.js')

const log = (s: string): void => { process.stdout.write(`${s}\n`) }

interface Contender {
  name: string
  label: string
  baseUrl: string
  /** The process whose CPU is charged to the proxy; undefined for the direct baseline. */
  proxy: Child | undefined
  /** Sent on every request (the data-plane API key of the keys-and-quotas contender). */
  authorization?: string
}

async function main (): Promise<number> {
  const connections = intEnv('BENCH_CONNECTIONS', DEFAULT_CONNECTIONS, 1)
  const durationS = intEnv('BENCH_DURATION_S', DEFAULT_DURATION_S, 1)
  const runs = intEnv('BENCH_RUNS', DEFAULT_RUNS, 1)
  const warmupS = intEnv('BENCH_WARMUP_S', DEFAULT_WARMUP_S, 0)

  // Up to 6 contenders in the main row and 4 in the binary row.
  const budgetS = FIXED_OVERHEAD_S + 10 * (warmupS + runs * (durationS + RUN_OVERHEAD_S))
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: still running after ${budgetS} s; stopping everything\n`)
    killAllNow()
    process.exit(1)
  }, budgetS * 1000)
  // Fires only while something else (a child, a load run) still keeps the process alive.
  watchdog.unref()

  const tools = await findTools(log)
  for (const n of tools.notes) log(`note: ${n}`)
  const gen: LoadGenerator = tools.wrk !== undefined ? 'wrk' : 'autocannon'

  // Two cores: the load generator gets one, origin and proxy share the other, so
  // a proxy cannot win by stealing the load generator's CPU (or lose to it).
  const cores = availableParallelism()
  const pin = cores >= 2 && tools.taskset !== undefined
  const loadCores = pin ? '0' : undefined
  const serverCores = pin ? '1' : undefined
  if (pin) {
    // The orchestrator is mostly idle, but keep it off the servers' core too.
    await promisify(execFile)('taskset', ['-p', '-c', '0', String(process.pid)])
  }
  const layout = pin
    ? `load generator (${gen}) pinned to core 0 (taskset -c 0); origin and proxy pinned to core 1 (taskset -c 1); ${cores} cores available`
    : `no CPU pinning (${cores} core(s)${tools.taskset === undefined ? ', no taskset' : ''}); load generator, origin and proxy share the CPU`
  log(layout)

  const deadline = Date.now() + ORIGIN_WAIT_MS
  while (!existsSync(fraudMain)) {
    if (Date.now() > deadline) throw new Error(`${fraudMain} not found; build the fraud example first`)
    log('waiting for the fraud example model to be built…')
    await sleep(10_000)
  }

  // Other work on the machine shows up as noise; record how busy it was.
  const loadAtStart = loadavg()[0]!
  const tmp = await mkdtemp(join(tmpdir(), 'gw-bench-'))
  tempDirs.push(tmp)
  try {
    const origin = start('origin', process.execPath, [fraudMain, '--version', 'v1', '--port', '0'], serverCores)
    const originPort = Number((await readyLine(origin)).port)
    const originUrl = `http://127.0.0.1:${originPort}`

    const binaryOrigin = start('binary-origin', process.execPath, [binaryOriginMain, '--port', '0'], serverCores)
    const binaryOriginPort = Number((await readyLine(binaryOrigin)).port)

    const configFile = join(tmp, 'gateway.yaml')
    await writeFile(configFile, gatewayConfigYaml(originUrl, originUrl, `http://127.0.0.1:${binaryOriginPort}`))
    const gateway = start('gateway', process.execPath, [...gatewayNodeArgs(), gatewayMain, '--config', configFile, '--port', '0', '--admin-port', '0'], serverCores)
    const reference = start('http-proxy', process.execPath, [referenceProxyMain, '--upstream', originUrl, '--port', '0'], serverCores)
    const bare = start('bare', process.execPath, [bareProxyMain, '--upstream', originUrl, '--port', '0'], serverCores)
    const keysConfig = join(tmp, 'gateway-keys.yaml')
    await writeFile(keysConfig, gatewayConfigYaml(originUrl, originUrl, undefined, true))
    const gatewayKeys = start('gateway-keys', process.execPath, [...gatewayNodeArgs(), gatewayMain, '--config', keysConfig, '--port', '0', '--admin-port', '0'], serverCores)
    const [gwReady, refReady, bareReady, keysReady] = await Promise.all([readyLine(gateway), readyLine(reference), readyLine(bare), readyLine(gatewayKeys)])

    const contenders: Contender[] = [
      { name: 'direct', label: 'direct (no proxy)', baseUrl: originUrl, proxy: undefined },
      { name: 'gateway', label: 'model-gateway', baseUrl: `http://127.0.0.1:${Number(gwReady.port)}`, proxy: gateway },
      { name: 'gateway-keys', label: 'model-gateway, keys + quotas on', baseUrl: `http://127.0.0.1:${Number(keysReady.port)}`, proxy: gatewayKeys, authorization: `Bearer ${BENCH_API_KEY}` },
      { name: 'bare', label: 'bare node:http + undici', baseUrl: `http://127.0.0.1:${Number(bareReady.port)}`, proxy: bare },
      { name: 'http-proxy', label: '@fastify/http-proxy', baseUrl: `http://127.0.0.1:${Number(refReady.port)}`, proxy: reference }
    ]
    if (tools.nginx !== undefined) {
      const port = await freePort()
      const nginx = await startNginx(tools.nginx, join(tmp, 'nginx'), port, originPort, serverCores)
      contenders.push({ name: 'nginx', label: 'nginx', baseUrl: `http://127.0.0.1:${port}`, proxy: nginx })
    }

    for (const c of contenders) {
      const headers = await checkInfer(c.baseUrl, c.name, c.authorization)
      if (c.name.startsWith('gateway') && headers.get('x-model-version') === null) throw new Error('gateway response has no x-model-version header')
    }
    log(`contenders: ${contenders.map((c) => c.name).join(', ')}; ${connections} connections, ${runs} runs × ${durationS} s, warm-up ${warmupS} s each; body ${Buffer.byteLength(INFER_BODY)} bytes`)

    const loadOpts: LoadOptions = { connections, durationS, threads: 1, cores: loadCores }
    if (warmupS > 0) {
      for (const c of contenders) {
        const w = await runLoad(gen, c.baseUrl, { ...loadOpts, durationS: warmupS, authorization: c.authorization })
        log(`warm-up  ${c.name.padEnd(10)} ${Math.round(w.reqPerSec).toString().padStart(7)} req/s`)
      }
    }

    const ticksPerS = await clockTicksPerSecond()
    const samples = new Map<string, RunSample[]>(contenders.map((c) => [c.name, []]))
    for (let run = 0; run < runs; run++) {
      // Round-robin: each run starts with the next contender.
      const order = contenders.map((_, i) => contenders[(i + run) % contenders.length]!)
      for (const [pos, c] of order.entries()) {
        const proxyBefore = c.proxy === undefined ? 0 : await treeCpuTicks(c.proxy.pid)
        const originBefore = await treeCpuTicks(origin.pid)
        const r = await runLoad(gen, c.baseUrl, { ...loadOpts, authorization: c.authorization })
        const proxyAfter = c.proxy === undefined ? 0 : await treeCpuTicks(c.proxy.pid)
        const originAfter = await treeCpuTicks(origin.pid)
        const perReq = (ticks: number): number => (ticks / ticksPerS) * 1e6 / Math.max(1, r.requests)
        const sample: RunSample = {
          ...r,
          run: run + 1,
          order: pos,
          proxyCpuUsPerReq: c.proxy === undefined ? null : perReq(proxyAfter - proxyBefore),
          originCpuUsPerReq: perReq(originAfter - originBefore)
        }
        samples.get(c.name)!.push(sample)
        log(`run ${run + 1}/${runs}  ${c.name.padEnd(10)} ${Math.round(r.reqPerSec).toString().padStart(7)} req/s  p50 ${(r.p50Us / 1000).toFixed(2)} ms  p99 ${(r.p99Us / 1000).toFixed(2)} ms  proxy CPU ${sample.proxyCpuUsPerReq === null ? '—' : sample.proxyCpuUsPerReq.toFixed(0) + ' µs/req'}${r.errors > 0 ? `  ERRORS ${r.errors}` : ''}`)
      }
    }

    // The binary-tensor row: 1 MiB requests, direct / gateway / nginx, in MB/s.
    let binary: BinaryResult[] = []
    let binaryBytes = 0
    if (gen === 'wrk') {
      const body = await writeBinaryBody(tmp)
      binaryBytes = body.bytes
      const bareBinary = start('bare-binary', process.execPath, [bareProxyMain, '--upstream', `http://127.0.0.1:${binaryOriginPort}`, '--port', '0'], serverCores)
      const bareBinaryPort = Number((await readyLine(bareBinary)).port)
      const binContenders: BinaryContender[] = [
        { name: 'direct', label: 'direct (no proxy)', baseUrl: `http://127.0.0.1:${binaryOriginPort}`, proxy: undefined },
        { name: 'gateway', label: 'model-gateway', baseUrl: contenders[1]!.baseUrl, proxy: gateway },
        { name: 'bare', label: 'bare node:http + undici', baseUrl: `http://127.0.0.1:${bareBinaryPort}`, proxy: bareBinary }
      ]
      if (tools.nginx !== undefined) {
        const port = await freePort()
        const nginxBinary = await startNginx(tools.nginx, join(tmp, 'nginx-binary'), port, binaryOriginPort, serverCores)
        binContenders.push({ name: 'nginx', label: 'nginx', baseUrl: `http://127.0.0.1:${port}`, proxy: nginxBinary })
      }
      binary = await binaryRow(binContenders, `/v2/models/${BINARY_MODEL}/infer`, body, { ...loadOpts, connections: Math.min(connections, 8) }, runs, log)
    } else {
      log('note: no wrk, so no binary-tensor row')
    }

    const summaries: ContenderSummary[] = contenders.map((c) => summarise(c.name, c.label, samples.get(c.name)!))
    const byName = new Map(summaries.map((s) => [s.name, s]))
    const r = ratios(byName)
    const cpu = cpus()[0]?.model ?? 'unknown CPU'
    const [nginxVersion, wrkVersion] = await Promise.all([
      tools.nginx === undefined ? 'none' : versionOf(tools.nginx, ['-v']).then((v) => v.replace(/^nginx version: /, '')),
      tools.wrk === undefined ? 'none' : versionOf(tools.wrk, ['-v']).then((v) => v.split(' [')[0]!)
    ])
    const setup = [
      `${connections} connections, ${runs} runs × ${durationS} s per contender, interleaved round-robin, ${warmupS} s warm-up each; medians over runs`,
      `POST /v2/models/fraud/infer, ${Buffer.byteLength(INFER_BODY)}-byte OIP v2 body, a new x-user-id per request; load by ${gen === 'wrk' ? wrkVersion : 'autocannon'}`,
      layout,
      `gateway: model fraud, v1 + v2 on the same origin, canary 10%, sticky header x-user-id, validateJson default, scoring log off`,
      `gateway, keys + quotas on: the same, with access control on: every request carries an API key (authorization: Bearer), checked, scoped and counted against a quota far above the load`,
      `http-proxy: @fastify/http-proxy with default options; bare: node:http + one undici Pool, bodies buffered, no features (bench/bare-proxy.ts); nginx: ${nginxVersion}, 1 worker, upstream keepalive 64, access_log off`,
      `binary row: POST of a ${binaryBytes.toLocaleString('en-US')}-byte OIP request (JSON header + 1 MiB raw FP32, Inference-Header-Content-Length) to an origin that reads it whole (bench/binary-origin.ts), direct, through the gateway, a second bare proxy and a second nginx in front of that origin; min(connections, 8) connections`,
      `proxy CPU µs/req: utime+stime of the proxy process tree from /proc over each run, divided by requests`,
      `${cpu}, Node ${process.version}; 1-minute load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end (other work on the machine adds noise)`
    ]

    log('')
    log(textTable(summaries, r))
    if (binary.length > 0) log(`\n${binaryMarkdown(binary, binaryBytes, Math.min(connections, 8))}`)
    for (const s of summaries) if (s.errors > 0) log(`warning: ${s.name} had ${s.errors} errors (socket errors or non-2xx responses)`)

    await mkdir(resultsDir, { recursive: true })
    const result = {
      date: new Date().toISOString(),
      settings: { connections, durationS, runs, warmupS, loadGenerator: gen, pinned: pin, cores, bodyBytes: Buffer.byteLength(INFER_BODY) },
      setup,
      contenders: summaries,
      ratios: r,
      targets: targets(r),
      binary
    }
    await writeFile(join(resultsDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`)
    await writeFile(join(resultsDir, 'latest.md'), markdown(summaries, r, setup) + (binary.length > 0 ? `\n${binaryMarkdown(binary, binaryBytes, Math.min(connections, 8))}` : ''))
    await writeFile(join(resultsDir, 'proxy.svg'), barChartSvg(
      'Proxying an OIP v2 infer request to a Node model',
      `${connections} connections · median of ${runs} × ${durationS} s runs · ${pin ? 'load on core 0, origin + proxy on core 1' : 'unpinned'}`,
      summaries.map((s) => ({ label: s.label, value: s.reqPerSec, note: `p99 ${(s.p99Us / 1000).toFixed(2)} ms`, highlight: s.name === 'gateway' }))
    ))
    log(`\nwrote bench/results/latest.json, latest.md, proxy.svg`)
    const failed = summaries.some((s) => s.errors > 0)
    return failed ? 1 : 0
  } finally {
    clearTimeout(watchdog)
    await stopAll()
    await rm(tmp, { recursive: true, force: true })
  }
}

process.on('exit', () => { killLoad(); killAllNow() })
/** Temp dirs to remove when a signal cuts the run short (the normal path removes them itself). */
const tempDirs: string[] = []
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`bench: ${sig}, stopping\n`)
    killLoad()
    stopAll()
      .then(() => Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true }))))
      .finally(() => process.exit(130))
  })
}

main().then((code) => { process.exitCode = code }, async (err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`)
  await stopAll()
  process.exitCode = 1
})
