/**
 * Scoring-log pipeline benchmark, in one run, against the real Kafka and
 * ClickHouse of scripts/services (started here when they are not running):
 *
 * 1. Gateway cost of logging: the same gateway config with logging off and with
 *    logging.sink kafka at 100% sampling (bodies captured), both in front of one
 *    origin, loaded alternately (interleaved runs, medians). The sink is not
 *    running in this phase, so its CPU does not compete with the gateway's.
 * 2. Sink throughput: the records phase 1 left in Kafka are consumed into
 *    ClickHouse by one `model-gateway sink`; records/s = records / time to land.
 *    Rollup totals are checked against the requests the load generator counted.
 *
 * Also the gateway's CPU per request (from /proc, µs) in each run: on a shared,
 * busy machine throughput swings with the neighbours' load, while CPU time per
 * request moves much less, so its on/off difference is the steadier figure for
 * what logging costs.
 *
 * Pinning as in bench/proxy.ts: load generator on core 0; origin and gateways on
 * core 1 (taskset). Knobs: BENCH_CONNECTIONS (32), BENCH_DURATION_S (10),
 * BENCH_RUNS (5), BENCH_WARMUP_S (3).
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { readyLine, start, stopAll, killAllNow, type Child } from './lib/child.js'
import { runLoad, killLoad, type LoadGenerator } from './lib/load.js'
import { findTools } from './lib/tools.js'
import { checkInfer, MODEL, STICKY_HEADER } from './lib/payload.js'
import { median, minMax, ratio } from './lib/stats.js'
import { SERVICE_NAMES } from '../scripts/services/paths.js'
import { down, isOurProcess, readPid, up } from '../scripts/services/services.js'
import { ClickHouse } from '../gateway/sink/clickhouse.js'
import { migrate } from '../gateway/sink/schema.js'
import { ensureTopics, kafkaClient } from '../gateway/observe/topics.js'
import { createLogger } from '../gateway/observe/log.js'
import { intEnv } from './lib/env.js'
import { clockTicksPerSecond, treeCpuTicks } from './lib/proc-cpu.js'

const here = dirname(fileURLToPath(import.meta.url)) // <repo>/dist/bench
const repo = join(here, '..', '..')
const fraudMain = join(repo, 'dist', 'scorer-sdk', 'examples', 'fraud', 'main.js')
const gatewayMain = join(repo, 'dist', 'gateway', 'main.js')
const cliMain = join(repo, 'dist', 'gateway', 'cli', 'main.js')
const ADMIN_TOKEN = 'bench-admin-token-not-secret-0123456789'
/** How long the sink may take to land phase 1's records before the bench gives up. */
const DRAIN_TIMEOUT_MS = 300_000

const log = (s: string): void => { process.stdout.write(`${s}\n`) }

function config (origin: string, logging: object): object {
  return {
    gateway: { host: '127.0.0.1' },
    admin: { host: '127.0.0.1', metricsPublic: true, tokens: [{ name: 'bench', token: ADMIN_TOKEN, role: 'admin' }] },
    logging,
    models: {
      [MODEL]: {
        sticky: { header: STICKY_HEADER },
        versions: { v1: { replicas: [origin] }, v2: { replicas: [origin] } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 1000 },
        healthCheck: { enabled: false },
        sampling: { rate: 1, captureBodies: true }
      }
    }
  }
}

async function metric (adminUrl: string, line: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text()
  const l = text.split('\n').find(x => x.startsWith(line))
  return l === undefined ? 0 : Number(l.slice(l.lastIndexOf(' ') + 1))
}

async function main (): Promise<number> {
  const connections = intEnv('BENCH_CONNECTIONS', 32, 1)
  const durationS = intEnv('BENCH_DURATION_S', 10, 1)
  const runs = intEnv('BENCH_RUNS', 5, 1)
  const warmupS = intEnv('BENCH_WARMUP_S', 3, 0)

  const tools = await findTools(log)
  const gen: LoadGenerator = tools.wrk !== undefined ? 'wrk' : 'autocannon'
  const pin = availableParallelism() >= 2 && tools.taskset !== undefined
  const loadCores = pin ? '0' : undefined
  const serverCores = pin ? '1' : undefined
  if (pin) await promisify(execFile)('taskset', ['-p', '-c', '0', String(process.pid)])
  log(pin ? `load generator (${gen}) on core 0; origin and gateways on core 1; Kafka, ClickHouse and the sink unpinned` : 'no CPU pinning')

  const wasRunning = SERVICE_NAMES.every(n => { const p = readPid(n); return p !== undefined && isOurProcess(p, n) })
  const env = await up()
  const tmp = await mkdtemp(join(tmpdir(), 'pipeline-bench-'))
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
  const db = `bench_${id}`
  const prefix = `bench-${id}`
  const ch = new ClickHouse({ url: env.CLICKHOUSE_URL, database: db })
  try {
    await migrate(ch, 0)
    await ensureTopics(kafkaClient(env.KAFKA_BROKERS.split(','), 'pipeline-bench', createLogger('silent')), prefix)

    const origin = start('origin', process.execPath, [fraudMain, '--version', 'v1', '--port', '0'], serverCores)
    const originUrl = `http://127.0.0.1:${Number((await readyLine(origin)).port)}`
    const gateways: Array<{ name: string, child: Child, url: string, adminUrl: string }> = []
    for (const [name, logging] of [
      ['logging off', { sink: 'off' }],
      ['logging kafka 100%', { sink: 'kafka', kafkaBrokers: env.KAFKA_BROKERS.split(','), topicPrefix: prefix }]
    ] as const) {
      const file = join(tmp, `${gateways.length}.json`)
      await writeFile(file, JSON.stringify(config(originUrl, logging)))
      const child = start(name, process.execPath, [gatewayMain, '--config', file, '--port', '0', '--admin-port', '0'], serverCores, { ...process.env, LOG_LEVEL: 'warn' })
      const ready = await readyLine(child)
      gateways.push({ name, child, url: `http://127.0.0.1:${Number(ready.port)}`, adminUrl: `http://127.0.0.1:${Number(ready.adminPort)}` })
    }
    for (const g of gateways) await checkInfer(g.url, g.name)

    const opts = { connections, durationS, threads: 1, cores: loadCores }
    if (warmupS > 0) for (const g of gateways) await runLoad(gen, g.url, { ...opts, durationS: warmupS })
    const rps = new Map<string, number[]>(gateways.map(g => [g.name, []]))
    const cpu = new Map<string, number[]>(gateways.map(g => [g.name, []]))
    const ticksPerS = await clockTicksPerSecond()
    let loggedRequests = 0
    let errors = 0
    for (let r = 0; r < runs; r++) {
      const order = r % 2 === 0 ? gateways : [...gateways].reverse()
      for (const g of order) {
        const before = await treeCpuTicks(g.child.pid)
        const res = await runLoad(gen, g.url, opts)
        const usPerReq = ((await treeCpuTicks(g.child.pid)) - before) / ticksPerS * 1e6 / Math.max(1, res.requests)
        rps.get(g.name)!.push(res.reqPerSec)
        cpu.get(g.name)!.push(usPerReq)
        errors += res.errors
        if (g.name !== 'logging off') loggedRequests += res.requests
        log(`  run ${r + 1}/${runs} ${g.name.padEnd(20)} ${res.reqPerSec.toFixed(0).padStart(7)} req/s  p99 ${(res.p99Us / 1000).toFixed(2)} ms  gateway CPU ${usPerReq.toFixed(1)} µs/req`)
      }
    }
    const on = gateways[1]!
    // Let the producer drain what is buffered (and one more rollup flush pass), then read what it sent and dropped.
    for (let i = 0; i < 60 && await metric(on.adminUrl, 'model_gateway_pipeline_buffer_records ') > 0; i++) await sleep(500)
    await sleep(1_000)
    const sent = await metric(on.adminUrl, 'model_gateway_pipeline_records_sent_total{kind="record"}')
    const dropped = await metric(on.adminUrl, 'model_gateway_pipeline_records_dropped_total{kind="record"}')

    // Phase 2: one sink drains Kafka into ClickHouse.
    const t0 = Date.now()
    const sink = start('sink', process.execPath, [cliMain, 'sink', '--brokers', env.KAFKA_BROKERS, '--clickhouse', env.CLICKHOUSE_URL, '--database', db, '--topic-prefix', prefix, '--group', `bench-${id}`], undefined, { ...process.env, LOG_LEVEL: 'warn' })
    await readyLine(sink, 60_000)
    let landed = 0
    let firstAt = 0
    while (Date.now() - t0 < DRAIN_TIMEOUT_MS) {
      landed = Number((await ch.select<{ n: string }>(`SELECT count() AS n FROM ${db}.records`))[0]!.n)
      if (landed > 0 && firstAt === 0) firstAt = Date.now()
      if (landed >= sent) break
      await sleep(250)
    }
    const drainS = (Date.now() - t0) / 1000
    const distinct = Number((await ch.select<{ n: string }>(`SELECT uniqExact(request_id) AS n FROM ${db}.records`))[0]!.n)
    await sleep(1_000)
    const rollupTotal = Number((await ch.select<{ n: string }>(`SELECT sum(requests) AS n FROM ${db}.rollups FINAL`))[0]!.n)
    const health = await (await fetch(`${on.url}/v2/health/ready`)).status

    const off = median(rps.get('logging off')!)
    const onRps = median(rps.get('logging kafka 100%')!)
    const [offMin, offMax] = minMax(rps.get('logging off')!)
    const [onMin, onMax] = minMax(rps.get('logging kafka 100%')!)
    const recordsPerS = landed / drainS
    log('')
    log(`model-gateway scoring-log pipeline benchmark — ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; ${gen}, ${connections} connections, ${runs} x ${durationS} s per contender`)
    log('')
    log('gateway throughput (median req/s, min..max):')
    log(`  logging off            ${off.toFixed(0).padStart(7)}   (${offMin.toFixed(0)}..${offMax.toFixed(0)})`)
    log(`  logging kafka, 100%    ${onRps.toFixed(0).padStart(7)}   (${onMin.toFixed(0)}..${onMax.toFixed(0)})`)
    log(`  ratio on/off           ${ratio(onRps, off).toFixed(3)}   (${((1 - ratio(onRps, off)) * 100).toFixed(1)}% lower with logging)`)
    const cpuOff = median(cpu.get('logging off')!)
    const cpuOn = median(cpu.get('logging kafka 100%')!)
    log(`  load errors            ${errors}`)
    log('')
    log('gateway CPU per request (median µs, min..max):')
    log(`  logging off            ${cpuOff.toFixed(1).padStart(7)}   (${minMax(cpu.get('logging off')!).map(x => x.toFixed(1)).join('..')})`)
    log(`  logging kafka, 100%    ${cpuOn.toFixed(1).padStart(7)}   (${minMax(cpu.get('logging kafka 100%')!).map(x => x.toFixed(1)).join('..')})`)
    log(`  logging costs          ${(cpuOn - cpuOff).toFixed(1)} µs/req = ${((1 - ratio(cpuOff, cpuOn)) * 100).toFixed(1)}% of a CPU-bound gateway's throughput`)
    log('')
    log('pipeline:')
    log(`  records sent to Kafka by the logging gateway (warm-up included): ${sent}, dropped ${dropped}; requests in its measured runs: ${loggedRequests}`)
    log(`  sink: ${landed} records landed in ClickHouse in ${drainS.toFixed(1)} s (incl. sink start-up and group join) = ${recordsPerS.toFixed(0)} records/s; ${firstAt === 0 ? '' : `${(landed / Math.max(0.001, (Date.now() - firstAt) / 1000)).toFixed(0)} records/s after the first insert; `}distinct request ids ${distinct}`)
    log(`  rollups: ${rollupTotal} requests counted for the logging gateway (every request, warm-up included; equals records sent + dropped: ${rollupTotal === sent + dropped ? 'yes' : 'NO'}); gateway ready ${health}`)
    await ch.command(`DROP DATABASE IF EXISTS ${db}`)
    return errors === 0 && landed >= sent ? 0 : 1
  } finally {
    await stopAll()
    await ch.close().catch(() => {})
    await rm(tmp, { recursive: true, force: true })
    if (!wasRunning) await down()
  }
}

process.on('SIGINT', () => { killLoad(); killAllNow(); process.exit(130) })
main().then((code) => { process.exit(code) }, (err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`)
  killLoad()
  killAllNow()
  process.exit(1)
})
