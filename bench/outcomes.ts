/**
 * Outcomes benchmark, one run, against the real Kafka and ClickHouse of
 * scripts/services (started here when they are not running):
 *
 * 1. Ledger cost: gateway CPU per request (from /proc, all threads) with
 *    logging off, with the pipeline on but nothing sampled (rollups only), and
 *    with the assignment ledger at 100% of requests (prediction read from
 *    every answer). One gateway process per arm, alone on core 1; wrk and the
 *    origin on core 0. BENCH_RUNS rounds (12) of OUTCOMES_ROUND_S (5 s) per
 *    arm in OUTCOMES_BLOCKS (3) blocks, each with fresh gateway processes (one
 *    process's speed held for its life, by about 2 µs) and
 *    OUTCOMES_WARMUP_ROUNDS (1), the arms in a new order each round
 *    (bench/lib/ab-rounds.ts); each arm's CPU is read 1.5 s after its run, so
 *    the pipeline's last send of the run is counted. Reported: each arm's
 *    median with a sign-test interval, and the median of the per-round ratios
 *    to logging off (the neighbours' load changes between rounds more than
 *    within one). OUTCOMES_CPU_PROF=<dir> runs the gateways under --cpu-prof
 *    and prints each arm's top functions. Also, in this process, the CPU of
 *    one ledger write (row and prediction) against a JSON.parse of the same
 *    answer.
 * 2. Intake through the gateway: outcomes/s acknowledged (200: queued on Kafka
 *    with acks from all in-sync replicas) by POST /v2/models/fraud/outcomes,
 *    batches of OUTCOMES_BATCH from OUTCOMES_CLIENTS concurrent clients.
 * 3. Intake through Kafka: OUTCOMES_KAFKA items written to the outcomes topic
 *    the way a label job does, then one `model-gateway sink` started: items/s
 *    from the sink's start until all are in ClickHouse.
 * 4. Report query: OUTCOMES_LEDGER_ROWS ledger rows (two versions over 7 days)
 *    and OUTCOMES_LABELS outcomes generated in ClickHouse; `report outcomes
 *    --window 7d` (per version and per day) and the rollout check's window,
 *    timed OUTCOMES_QUERY_RUNS times each, medians.
 *
 * Knobs: BENCH_DURATION_S (10, the intake phase), BENCH_RUNS (12 rounds),
 * OUTCOMES_BLOCKS (3), OUTCOMES_ROUND_S (5), BENCH_CONNECTIONS (32), OUTCOMES_PHASES (ledger,gateway,kafka,query: which of the four to run).
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import { CompressionTypes } from 'kafkajs'
import { readyLine, start, stopAll, killAllNow } from './lib/child.js'
import { killLoad } from './lib/load.js'
import { MODEL } from './lib/payload.js'
import { median, minMax } from './lib/stats.js'
import { ledgerCost, ledgerWriteCost, summariseProfiles, type Gw } from './lib/ledger-cost.js'
import { intEnv } from './lib/env.js'
import { SERVICE_NAMES } from '../scripts/services/paths.js'
import { down, isOurProcess, readPid, up } from '../scripts/services/services.js'
import { ClickHouse } from '../gateway/sink/clickhouse.js'
import { migrate } from '../gateway/sink/schema.js'
import { ensureTopics, kafkaClient, topicName } from '../gateway/observe/topics.js'
import { createLogger } from '../gateway/observe/log.js'
import { outcomeReport } from '../gateway/outcomes/report.js'
import { queryOutcomes } from '../gateway/outcomes/query.js'

const here = dirname(fileURLToPath(import.meta.url)) // <repo>/dist/bench
const repo = join(here, '..', '..')
const cliMain = join(repo, 'dist', 'gateway', 'cli', 'main.js')
const DAY_MS = 86_400_000
const lines: string[] = []
const log = (s: string): void => { lines.push(s); process.stdout.write(`${s}\n`) }

/** Topic creation on a loaded broker sometimes answers "does not host this topic-partition" while leaders settle: try again. */
async function topics (kafka: ReturnType<typeof kafkaClient>, prefix: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureTopics(kafka, prefix)
      return
    } catch (err) {
      if (attempt >= 5) throw err
      await sleep(2_000)
    }
  }
}

async function intakeThroughGateway (g: Gw): Promise<void> {
  const clients = intEnv('OUTCOMES_CLIENTS', 8, 1)
  const batch = intEnv('OUTCOMES_BATCH', 1000, 1)
  const seconds = intEnv('BENCH_DURATION_S', 10, 1)
  const pool = new Pool(g.url, { connections: clients })
  let accepted = 0
  let refused = 0
  let n = 0
  const until = Date.now() + seconds * 1000
  const t0 = Date.now()
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < until) {
      const base = n
      n += batch
      const body = Array.from({ length: batch }, (_, i) => `{"id":"gw-${base + i}","label":${(base + i) % 2}}`).join('\n')
      const res = await pool.request({ path: `/v2/models/${MODEL}/outcomes`, method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body })
      await res.body.text()
      if (res.statusCode === 200) accepted += batch
      else refused += batch
    }
  }))
  await pool.close()
  const s = (Date.now() - t0) / 1000
  log(`intake through the gateway: ${(accepted / s).toFixed(0)} outcomes/s acknowledged (${accepted} in ${s.toFixed(1)} s; ${clients} clients, ${batch} per request, NDJSON${refused > 0 ? `; ${refused} refused` : ''})`)
}

async function intakeThroughKafka (env: { KAFKA_BROKERS: string, CLICKHOUSE_URL: string }, ch: ClickHouse, prefix: string, db: string): Promise<void> {
  const total = intEnv('OUTCOMES_KAFKA', 1_000_000, 1)
  const kafka = kafkaClient(env.KAFKA_BROKERS.split(','), 'label-job-bench', createLogger('silent'))
  await topics(kafka, prefix)
  const producer = kafka.producer()
  await producer.connect()
  const perMessage = 1000
  const t0 = Date.now()
  for (let sent = 0; sent < total;) {
    const messages = []
    for (let m = 0; m < 50 && sent < total; m++) {
      const k = Math.min(perMessage, total - sent)
      messages.push({ key: MODEL, value: Array.from({ length: k }, (_, i) => `{"id":"kf-${sent + i}","label":${(sent + i) % 2},"at":${t0 + sent + i}}`).join('\n') })
      sent += k
    }
    await producer.send({ topic: topicName(prefix, 'outcomes'), messages, compression: CompressionTypes.GZIP, acks: -1 })
  }
  await producer.disconnect()
  const produceS = (Date.now() - t0) / 1000
  const t1 = Date.now()
  const sink = start('sink', process.execPath, [cliMain, 'sink', '--brokers', env.KAFKA_BROKERS, '--clickhouse', env.CLICKHOUSE_URL, '--database', db, '--topic-prefix', prefix, '--group', `bench-${prefix}`], undefined, { ...process.env, LOG_LEVEL: 'warn' })
  await readyLine(sink, 60_000)
  let landed = 0
  while (Date.now() - t1 < 600_000) {
    landed = Number((await ch.select<{ n: string }>(`SELECT count() AS n FROM ${db}.outcomes WHERE request_id LIKE 'kf-%'`))[0]!.n)
    if (landed >= total) break
    if (sink.proc.exitCode !== null || sink.proc.signalCode !== null) throw new Error(`the sink exited (${sink.proc.exitCode ?? sink.proc.signalCode}) with ${landed} of ${total} landed: ${sink.stderrTail()}`)
    await sleep(250)
  }
  const s = (Date.now() - t1) / 1000
  log(`intake through Kafka: ${total} outcomes written by a label job in ${produceS.toFixed(1)} s (${(total / produceS).toFixed(0)}/s); one sink put ${landed} into ClickHouse in ${s.toFixed(1)} s from its start = ${(landed / s).toFixed(0)} outcomes/s (aim >= 50,000/s)`)
}

async function reportQuery (ch: ClickHouse, db: string): Promise<void> {
  const rows = intEnv('OUTCOMES_LEDGER_ROWS', 10_000_000, 1)
  const labels = intEnv('OUTCOMES_LABELS', 1_000_000, 1)
  const runs = intEnv('OUTCOMES_QUERY_RUNS', 5, 1)
  const now = Math.floor(Date.now() / 1000)
  const span = 7 * 86_400
  const t0 = Date.now()
  // Generated on the server: ids r<number>, two versions, times over 7 days, predictions in [0, 1).
  await ch.command(`INSERT INTO ${db}.ledger (time, millis, request_id, model, version, release, bucket, status, prediction, has_prediction)
    SELECT toDateTime(${now - span} + intDiv(number * ${span}, ${rows})), number % 1000, concat('r', toString(number)), 'fraud', if(number % 2 = 0, 'v1', 'v2'), 'v1>v2#1', number % 10000, 200, (cityHash64(number) % 100000) / 100000, 1
    FROM numbers(${rows})`)
  await ch.command(`INSERT INTO ${db}.outcomes (model, request_id, kind, x, at, at_ms, received)
    SELECT 'fraud', concat('r', toString(number * ${Math.max(1, Math.floor(rows / labels))})), 'label', cityHash64(number, 7) % 2, toDateTime(${now}), ${now} * 1000 + number % 1000, toDateTime(${now})
    FROM numbers(${labels})`)
  log(`report query: ${rows} ledger rows and ${labels} labels generated in ClickHouse in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  const time = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    const ms: number[] = []
    for (let i = 0; i < runs; i++) {
      const s = performance.now()
      await fn()
      ms.push(performance.now() - s)
    }
    log(`  ${what}: median ${(median(ms) / 1000).toFixed(2)} s (${minMax(ms).map(x => (x / 1000).toFixed(2)).join('..')}) over ${runs} runs (aim < 3 s)`)
  }
  const to = (now + 1) * 1000
  await time('report outcomes fraud --window 7d (per version, 7 daily buckets)', async () => await outcomeReport(ch, 'fraud', to - 7 * DAY_MS, to, DAY_MS, 0.5))
  await time('rollout check window (last day, two versions)', async () => await queryOutcomes(ch, { model: 'fraud', from: to - DAY_MS, to, threshold: 0.5 }))
}

async function main (): Promise<number> {
  const wasRunning = SERVICE_NAMES.every(n => { const p = readPid(n); return p !== undefined && isOurProcess(p, n) })
  const env = await up()
  const tmp = await mkdtemp(join(tmpdir(), 'outcomes-bench-'))
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
  const db = `bench_${id}`
  const prefix = `bench-${id}`
  const ch = new ClickHouse({ url: env.CLICKHOUSE_URL, database: db, requestTimeoutMs: 300_000 })
  try {
    await migrate(ch, 0)
    await topics(kafkaClient(env.KAFKA_BROKERS.split(','), 'outcomes-bench', createLogger('silent')), prefix)
    log(`model-gateway outcomes benchmark — ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; load average at start ${loadavg().map(x => x.toFixed(2)).join(' ')}`)
    log('')
    const phases = new Set((process.env.OUTCOMES_PHASES ?? 'ledger,gateway,kafka,query').split(',').map(p => p.trim()))
    if (phases.has('ledger') || phases.has('gateway')) {
      const ledgerGw = await ledgerCost(env, prefix, tmp, log)
      ledgerWriteCost(log)
      log('')
      if (phases.has('gateway')) await intakeThroughGateway(ledgerGw)
      await stopAll()
      if (process.env.OUTCOMES_CPU_PROF !== undefined) await summariseProfiles(process.env.OUTCOMES_CPU_PROF, ['logging off', 'rollups only', 'ledger 100%'], log)
    }
    if (phases.has('kafka')) await intakeThroughKafka(env, ch, `${prefix}-k`, db)
    await stopAll()
    if (phases.has('query')) await reportQuery(ch, db)
    log('')
    log(`load average at the end ${loadavg().map(x => x.toFixed(2)).join(' ')} (1, 5, 15 min; the machine is shared)`)
    // A run of some phases keeps its own log, so it does not replace the full run's.
    const all = ['ledger', 'gateway', 'kafka', 'query'].every(p => phases.has(p))
    const name = all ? 'outcomes.md' : `outcomes-${[...phases].join('-')}.md`
    await writeFile(join(repo, 'bench', 'results', name), `# bench:outcomes${all ? '' : ` (${[...phases].join(', ')})`}, ${new Date().toISOString().slice(0, 10)}\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`)
    await ch.command(`DROP DATABASE IF EXISTS ${db}`)
    return 0
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
