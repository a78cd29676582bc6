/**
 * Batch scoring benchmark, in one run: the same rows scored by
 * `model-gateway batch` at batch size 1 and at 256, through the gateway and
 * directly against the model. Reports rows/s (median of the runs) and the
 * ratios; aims: B=256 >= 20x B=1, gateway >= 0.8x direct at B=256.
 *
 * The batch CLI runs as a child pinned to core 0; the model (origin) and the
 * gateway share core 1, as in bench/proxy.ts. Contenders are interleaved per run.
 * Knobs: BENCH_BATCH_ROWS (1,000,000 rows at B=256), BENCH_BATCH_ROWS_B1 (rows
 * at B=1, default 20,000: a million single-row requests would take many minutes
 * here; the rate is what is compared), BENCH_BATCH_CONCURRENCY (16), BENCH_RUNS (3).
 */
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { once } from 'node:events'
import { readyLine, start, stopAll, killAllNow } from './lib/child.js'
import { findTools } from './lib/tools.js'
import { gatewayConfigYaml } from './lib/gateway-config.js'
import { median, minMax, ratio } from './lib/stats.js'
import { intEnv } from './lib/env.js'
import { MODEL } from './lib/payload.js'

const here = dirname(fileURLToPath(import.meta.url)) // <repo>/dist/bench
const repo = join(here, '..', '..')
const fraudMain = join(repo, 'dist', 'scorer-sdk', 'examples', 'fraud', 'main.js')
const gatewayMain = join(repo, 'dist', 'gateway', 'main.js')
const cliMain = join(repo, 'dist', 'gateway', 'cli', 'main.js')

const ROWS = intEnv('BENCH_BATCH_ROWS', 1_000_000)
const ROWS_B1 = Math.min(ROWS, intEnv('BENCH_BATCH_ROWS_B1', 20_000))
const CONCURRENCY = intEnv('BENCH_BATCH_CONCURRENCY', 16)
const RUNS = intEnv('BENCH_RUNS', 3)

const log = (s: string): void => { process.stdout.write(`${s}\n`) }

/** A fixed sequence (an LCG), so every run scores the same rows. */
function lcg (seed: number): () => number {
  let x = seed >>> 0
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    return x / 4294967296
  }
}

async function writeRows (file: string, count: number): Promise<void> {
  const random = lcg(42)
  const out = createWriteStream(file)
  let chunk = ''
  for (let id = 0; id < count; id++) {
    chunk += `{"id":${id},"user":"user-${Math.floor(random() * 100_000)}","amount":${Math.round(random() * 200_000) / 100},` +
      `"account_age_days":${Math.floor(random() * 3000)},"tx_last_24h":${Math.floor(random() * 20)},"distance_km":${Math.round(random() * 50_000) / 100}}\n`
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain')
      chunk = ''
    }
  }
  out.end(chunk)
  await once(out, 'finish')
}

interface Contender { name: string, url: string, batchSize: number, input: string, rows: number }
interface Summary { rows: number, rejects: number, requests: number, elapsedMs: number, rowsPerSecond: number }

async function runJob (c: Contender, dir: string, cores: string | undefined): Promise<Summary> {
  const output = join(dir, 'out.ndjson')
  const child = start(`batch ${c.name}`, process.execPath, [cliMain, 'batch', '--url', c.url, '--model', MODEL, '--input', c.input, '--output', output,
    '--map', 'features=amount,account_age_days,tx_last_24h,distance_km', '--keep', 'id',
    '--batch-size', String(c.batchSize), '--concurrency', String(CONCURRENCY), '--progress', 'off'], cores)
  let stdout = ''
  child.proc.stdout!.setEncoding('utf8')
  child.proc.stdout!.on('data', (s: string) => { stdout += s })
  const code = await child.exited
  if (code !== 0) throw new Error(`${child.name} exited ${code}: ${child.stderrTail()}`)
  const s = JSON.parse(stdout) as Summary
  if (s.rows !== c.rows || s.rejects !== 0) throw new Error(`${child.name}: ${s.rows} rows and ${s.rejects} rejects, expected ${c.rows} and 0`)
  return s
}

async function main (): Promise<void> {
  const tools = await findTools(log)
  const pin = availableParallelism() >= 2 && tools.taskset !== undefined
  const [clientCores, serverCores] = pin ? ['0', '1'] : [undefined, undefined]
  const dir = await mkdtemp(join(tmpdir(), 'batch-bench-'))
  try {
    log(`writing ${ROWS.toLocaleString('en-US')} rows (and ${ROWS_B1.toLocaleString('en-US')} for batch size 1) ...`)
    const big = join(dir, 'rows.ndjson')
    const small = join(dir, 'rows-b1.ndjson')
    await writeRows(big, ROWS)
    await writeRows(small, ROWS_B1)

    const origin = start('origin', process.execPath, [fraudMain, '--version', 'v1', '--port', '0'], serverCores)
    const originUrl = `http://127.0.0.1:${String((await readyLine(origin)).port)}`
    const configFile = join(dir, 'gateway.yaml')
    await writeFile(configFile, gatewayConfigYaml(originUrl, originUrl))
    const gateway = start('gateway', process.execPath, [gatewayMain, '--config', configFile, '--port', '0', '--admin-port', '0'], serverCores, { ...process.env, LOG_LEVEL: 'warn' })
    const gatewayUrl = `http://127.0.0.1:${String((await readyLine(gateway)).port)}`

    const contenders: Contender[] = [
      { name: 'gateway B=256', url: gatewayUrl, batchSize: 256, input: big, rows: ROWS },
      { name: 'direct B=256', url: originUrl, batchSize: 256, input: big, rows: ROWS },
      { name: 'gateway B=1', url: gatewayUrl, batchSize: 1, input: small, rows: ROWS_B1 },
      { name: 'direct B=1', url: originUrl, batchSize: 1, input: small, rows: ROWS_B1 }
    ]
    log(`${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}; batch CLI on core ${clientCores ?? 'any'}, model and gateway on core ${serverCores ?? 'any'}; concurrency ${CONCURRENCY}, ${RUNS} runs`)
    // Warm-up: JIT of the gateway and the model before anything is timed.
    await runJob({ ...contenders[2]!, rows: ROWS_B1 }, dir, clientCores)
    const rates = new Map<string, number[]>(contenders.map(c => [c.name, []]))
    for (let run = 1; run <= RUNS; run++) {
      for (const c of contenders) {
        const s = await runJob(c, dir, clientCores)
        rates.get(c.name)!.push(s.rowsPerSecond)
        log(`run ${run} ${c.name.padEnd(14)} ${s.rows.toLocaleString('en-US').padStart(10)} rows in ${(s.elapsedMs / 1000).toFixed(1).padStart(6)} s: ${s.rowsPerSecond.toLocaleString('en-US').padStart(9)} rows/s (${s.requests.toLocaleString('en-US')} requests)`)
      }
    }

    const med = (name: string): number => median(rates.get(name)!)
    log('')
    log('| contender | rows | rows/s (median) | rows/s (min–max) |')
    log('|---|---:|---:|---:|')
    for (const c of contenders) {
      const [lo, hi] = minMax(rates.get(c.name)!)
      log(`| ${c.name} | ${c.rows.toLocaleString('en-US')} | ${Math.round(med(c.name)).toLocaleString('en-US')} | ${lo.toLocaleString('en-US')}–${hi.toLocaleString('en-US')} |`)
    }
    const rows: Array<[string, number, string, number]> = [
      ['gateway: B=256 / B=1', ratio(med('gateway B=256'), med('gateway B=1')), '>= 20x', 20],
      ['direct: B=256 / B=1', ratio(med('direct B=256'), med('direct B=1')), '', 0],
      ['B=256: gateway / direct', ratio(med('gateway B=256'), med('direct B=256')), '>= 0.8x', 0.8],
      ['B=1: gateway / direct', ratio(med('gateway B=1'), med('direct B=1')), '', 0]
    ]
    log('')
    log('| ratio | measured | aim |')
    log('|---|---:|---|')
    for (const [what, value, aim, goal] of rows) {
      log(`| ${what} | ${value.toFixed(2)}x | ${aim === '' ? '' : `${aim} — ${value >= goal ? 'met' : '**not met**'}`} |`)
    }
  } finally {
    await stopAll()
    await rm(dir, { recursive: true, force: true })
  }
}

process.once('SIGINT', () => { killAllNow(); process.exit(130) })
main().catch(async (err: unknown) => {
  process.stderr.write(`bench:batch: ${(err as Error).stack ?? String(err)}\n`)
  await stopAll()
  process.exitCode = 1
})
