/**
 * The ledger phase of bench/outcomes.ts: gateway CPU per request with logging
 * off, the pipeline with rollups only, and the assignment ledger at 100%, in
 * interleaved rounds over blocks of fresh processes (./ab-rounds.ts); and the
 * CPU of one ledger write in this process.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { readyLine, start, stop, type Child } from './child.js'
import { runLoad } from './load.js'
import { findTools } from './tools.js'
import { checkInfer, MODEL, STICKY_HEADER } from './payload.js'
import { runRounds, summariseRounds, type ArmRun, type ArmSummary } from './ab-rounds.js'
import { formatTop, summariseProfile, type CpuProfile } from './cpu-profile.js'
import { intEnv } from './env.js'
import { clockTicksPerSecond } from './proc-cpu.js'
import { LedgerBuffer } from '../../gateway/observe/ledger.js'
import type { RequestOutcome } from '../../gateway/observe/outcome.js'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..') // <repo>/dist/bench/lib -> <repo>
const fraudMain = join(repo, 'dist', 'scorer-sdk', 'examples', 'fraud', 'main.js')
const gatewayMain = join(repo, 'dist', 'gateway', 'main.js')

type Log = (line: string) => void

function gatewayConfig (origin: string, logging: object, outcomes: boolean): object {
  return {
    gateway: { host: '127.0.0.1' },
    admin: { host: '127.0.0.1', metricsPublic: true, tokens: [{ name: 'bench', token: 'bench-admin-token-not-secret-0123456789', role: 'admin' }] },
    logging,
    models: {
      [MODEL]: {
        sticky: { header: STICKY_HEADER },
        versions: { v1: { replicas: [origin] }, v2: { replicas: [origin] } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 5000 },
        healthCheck: { enabled: false },
        sampling: { rate: 0 },
        ...(outcomes ? { outcomes: { prediction: 'fraud_probability' } } : {})
      }
    }
  }
}

export interface Gw { name: string, pid: number, url: string }

export async function ledgerCost (env: { KAFKA_BROKERS: string }, prefix: string, tmp: string, log: Log): Promise<Gw> {
  const roundS = intEnv('OUTCOMES_ROUND_S', 5, 1)
  const rounds = intEnv('BENCH_RUNS', 12, 1)
  const connections = intEnv('BENCH_CONNECTIONS', 32, 1)
  const profileDir = process.env.OUTCOMES_CPU_PROF
  const tools = await findTools(log)
  const gen = tools.wrk !== undefined ? 'wrk' : 'autocannon'
  const pin = cpus().length >= 2 && tools.taskset !== undefined
  if (pin) await promisify(execFile)('taskset', ['-p', '-c', '0', String(process.pid)])
  // The gateways alone on core 1; the origin beside the load generator on core 0, so the
  // origin's share of the core does not move with the arm's rate and the gateway's.
  const origin = start('origin', process.execPath, [fraudMain, '--version', 'v1', '--port', '0'], pin ? '0' : undefined)
  const originUrl = `http://127.0.0.1:${Number((await readyLine(origin)).port)}`
  const kafka = { sink: 'kafka', kafkaBrokers: env.KAFKA_BROKERS.split(','), topicPrefix: prefix }
  const arms = [['logging off', { sink: 'off' }, false], ['rollups only', kafka, false], ['ledger 100%', kafka, true]] as const
  const startArms = async (): Promise<Array<Gw & { child: Child }>> => {
    const out: Array<Gw & { child: Child }> = []
    for (const [name, logging, outcomes] of arms) {
      const file = join(tmp, `${out.length}.json`)
      await writeFile(file, JSON.stringify(gatewayConfig(originUrl, logging, outcomes)))
      const prof = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, String(out.length))}`]
      const child = start(name, process.execPath, [...prof, gatewayMain, '--config', file, '--port', '0', '--admin-port', '0'], pin ? '1' : undefined, { ...process.env, LOG_LEVEL: 'warn' })
      const ready = await readyLine(child)
      out.push({ name, pid: child.pid, url: `http://127.0.0.1:${Number(ready.port)}`, child })
    }
    for (const g of out) await checkInfer(g.url, g.name)
    return out
  }
  const opts = { connections, durationS: roundS, threads: 1, cores: pin ? '0' : undefined }
  const ticksPerSecond = await clockTicksPerSecond()
  // Each block starts every arm afresh: a process's own JIT decisions can make an arm faster
  // or slower for all of its rounds (by 2-3 µs before gateway/tick-shapes.ts), so the rounds
  // are spread over several.
  const blocks = Math.min(intEnv('OUTCOMES_BLOCKS', 3, 1), rounds)
  const runs: ArmRun[] = []
  let gateways: Array<Gw & { child: Child }> = []
  for (let b = 0; b < blocks; b++) {
    if (b > 0) await Promise.all(gateways.map(g => stop(g.child)))
    gateways = await startArms()
    const first = runs.length / arms.length
    const blockRounds = Math.floor(rounds * (b + 1) / blocks) - Math.floor(rounds * b / blocks)
    log(`  block ${b + 1}/${blocks}: fresh gateway processes, ${blockRounds} rounds`)
    runs.push(...await runRounds(gateways, {
      rounds: blockRounds,
      firstRound: first,
      warmupRounds: intEnv('OUTCOMES_WARMUP_ROUNDS', 1, 0),
      // Longer than the pipeline's flush interval (1 s), so the ledger's last send of a run is counted in it.
      settleMs: 1_500,
      ticksPerSecond,
      gatewayCore: pin ? 1 : undefined,
      load: async (url) => await runLoad(gen, url, opts),
      log
    }))
  }
  const sum = summariseRounds(gateways, runs)
  const [off, roll, led] = sum as [ArmSummary, ArmSummary, ArmSummary]
  const ci = (x: { low: number, high: number, level: number }, f: (v: number) => string): string => `${f(x.low)}..${f(x.high)}, ${(x.level * 100).toFixed(0)}%`
  const pct = (r: number): string => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%`
  log('')
  log(`gateway CPU per request (${rounds} rounds x ${roundS} s in ${blocks} blocks of fresh processes, arms in a new order each round, ${gen}, ${connections} connections; ${pin ? 'gateways on core 1, load and origin on core 0' : 'not pinned'}):`)
  log('  arm            median µs (interval of the median)   req/s   per-round ratio to logging off: median (interval)')
  for (const a of sum) log(`  ${a.arm.padEnd(13)} ${a.medianUs.toFixed(1).padStart(6)} (${ci(a.us, v => v.toFixed(1))})  ${a.reqPerSec.toFixed(0).padStart(6)}   ${a === off ? '' : `${pct(a.ratio.median)} (${ci(a.ratio, pct)})`}`)
  log(`  ledger at 100% vs logging off: ${pct(led.ratio.median)} per round (median), ${(led.medianUs - off.medianUs).toFixed(1)} µs/req between the arms' medians (aim <= 5%); the ledger alone (rollups only -> ledger): ${((led.ratio.median / roll.ratio.median - 1) * 100).toFixed(1)}%`)
  if (profileDir !== undefined) log(`  (gateways ran under --cpu-prof: profiles in ${profileDir}/<arm 0..2>, one per block, the last summarised once they exit)`)
  return gateways[2]!
}

/** Top self-time functions of each arm's profile (OUTCOMES_CPU_PROF), once the gateways have exited and written them. */
export async function summariseProfiles (dir: string, arms: readonly string[], log: Log): Promise<void> {
  for (const [i, arm] of arms.entries()) {
    const sub = join(dir, String(i))
    const file = (await readdir(sub)).find(f => f.endsWith('.cpuprofile'))
    if (file === undefined) continue
    const s = summariseProfile(JSON.parse(await readFile(join(sub, file), 'utf8')) as CpuProfile)
    log(`\n${arm}: ${(s.busyUs / 1e6).toFixed(1)} s not idle on the main thread; top 20 functions by self time`)
    log(formatTop(s.byFunction, 20, s.busyUs, 0))
  }
}

/** CPU µs of one ledger write (row + prediction read) and of one JSON.parse of the same answer, in this process. */
export function ledgerWriteCost (log: Log): void {
  const n = intEnv('OUTCOMES_WRITES', 1_000_000, 1)
  const body = Buffer.from('{"model_name":"fraud","model_version":"v1","id":"6f1c2a9e-bench-request-000001","outputs":[{"name":"fraud_probability","shape":[1],"datatype":"FP64","data":[0.7502601055951177]}]}')
  const ledger = new LedgerBuffer({ fraud: { outcomes: { ledger: true, prediction: 'fraud_probability', label: 'binary', threshold: 0.5 } } }, 1 << 30)
  const o: RequestOutcome = { requestId: '', model: 'fraud', version: 'v1', replica: null, release: 'v1>v2#1', status: 200, errorCode: null, startedAt: Date.now(), totalMs: 1, upstreamMs: 1, fallback: false, stickyKey: 'u-1', seed: 77, requestBody: null, responseBody: body, traffic: 'live', kind: 'infer', requestHeaderLength: -1, requestEncoding: null, responseHeaderLength: -1 }
  const ids = Array.from({ length: 1024 }, (_, i) => `6f1c2a9e-0000-4000-8000-${String(i).padStart(12, '0')}`)
  const time = (fn: (i: number) => void): number => {
    const c0 = process.cpuUsage()
    for (let i = 0; i < n; i++) fn(i)
    const c = process.cpuUsage(c0)
    return (c.user + c.system) / n
  }
  time(i => { o.requestId = ids[i & 1023]!; ledger.write(o); if ((i & 16383) === 0) ledger.release(ledger.peek(Infinity).length) })
  const write = time(i => { o.requestId = ids[i & 1023]!; ledger.write(o); if ((i & 16383) === 0) ledger.release(ledger.peek(Infinity).length) })
  let sink = 0
  const parse = time(() => { sink += (JSON.parse(body.toString('utf8')) as { outputs: unknown[] }).outputs.length })
  log(`  in-process, ${n} requests: a ledger write (row, sticky bucket, prediction read) ${write.toFixed(3)} µs; a JSON.parse of the same answer ${parse.toFixed(3)} µs${sink < 0 ? '' : ''}`)
}
