/**
 * A/B(/C) rounds for "what does feature X cost the gateway per request":
 * several gateway processes (one per arm) loaded in turn, many short rounds,
 * the order of the arms changed every round so that no arm always runs first
 * (after a pause) or last (after the others warmed the caches), and results
 * given as each arm's ratio to the first arm WITHIN the same round, so a
 * neighbour's load that comes and goes between rounds cancels out of the ratio.
 *
 * After each run the arm's gateway is left alone for `settleMs` before its CPU
 * is read: what the run left buffered (a pipeline flushes up to a second later)
 * is that arm's cost, and reading the counter as soon as the load stops would
 * leave it out. The same pause is taken for every arm.
 */
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import type { LoadResult } from './load.js'
import { treeCpuTicks } from './proc-cpu.js'
import { median, medianInterval } from './stats.js'

export interface RoundArm { name: string, pid: number, url: string }

export interface RoundsOptions {
  /** Measured rounds (each arm once per round). */
  rounds: number
  /** Number of the first measured round, minus one (rounds of earlier blocks). */
  firstRound?: number
  /** Rounds run first and not counted (JIT, caches, connection pools, Kafka producers). */
  warmupRounds: number
  settleMs: number
  ticksPerSecond: number
  /** The core the gateways run on, to report how busy other processes kept it; undefined when not pinned. */
  gatewayCore: number | undefined
  load: (url: string) => Promise<LoadResult>
  log: (line: string) => void
}

export interface ArmRun {
  round: number
  arm: string
  usPerReq: number
  reqPerSec: number
  /** CPU of every other process on the gateways' core during the run, as a share of the run (0..1); NaN when not pinned. */
  othersOnCore: number
  errors: number
}

/** Round r's order: the arms rotated by r, every other round reversed; n! orders appear over n! rounds. */
export function roundOrder<T> (arms: readonly T[], r: number): T[] {
  const k = r % arms.length
  const rotated = [...arms.slice(k), ...arms.slice(0, k)]
  return r % 2 === 1 ? rotated.reverse() : rotated
}

/** Busy ticks of one core from /proc/stat (user, nice, system, irq, softirq, steal). */
async function coreBusyTicks (core: number): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n').find(l => l.startsWith(`cpu${core} `))
  if (line === undefined) return Number.NaN
  const f = line.trim().split(/\s+/).slice(1).map(Number)
  return f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!
}

async function measure (arm: RoundArm, round: number, o: RoundsOptions): Promise<ArmRun> {
  const core0 = o.gatewayCore === undefined ? Number.NaN : await coreBusyTicks(o.gatewayCore)
  const before = await treeCpuTicks(arm.pid)
  const t0 = performance.now()
  const res = await o.load(arm.url)
  await sleep(o.settleMs)
  const ticks = (await treeCpuTicks(arm.pid)) - before
  const wallTicks = (performance.now() - t0) / 1000 * o.ticksPerSecond
  const core = o.gatewayCore === undefined ? Number.NaN : await coreBusyTicks(o.gatewayCore) - core0
  return {
    round,
    arm: arm.name,
    usPerReq: ticks / o.ticksPerSecond * 1e6 / Math.max(1, res.requests),
    reqPerSec: res.reqPerSec,
    othersOnCore: (core - ticks) / wallTicks,
    errors: res.errors
  }
}

export async function runRounds (arms: readonly RoundArm[], o: RoundsOptions): Promise<ArmRun[]> {
  const out: ArmRun[] = []
  const first = o.firstRound ?? 0
  for (let r = 0; r < o.warmupRounds + o.rounds; r++) {
    const counted = r >= o.warmupRounds
    // The order continues across blocks, so every order still comes round.
    for (const arm of roundOrder(arms, first + r)) {
      const run = await measure(arm, first + r - o.warmupRounds + 1, o)
      if (counted) out.push(run)
      const others = Number.isNaN(run.othersOnCore) ? '' : `  others on the gateways' core ${(run.othersOnCore * 100).toFixed(0)}%`
      o.log(`  ${counted ? `round ${run.round}/${first + o.rounds}` : 'warm-up  '} ${arm.name.padEnd(13)} ${run.reqPerSec.toFixed(0).padStart(6)} req/s  gateway CPU ${run.usPerReq.toFixed(1)} µs/req${others}${run.errors > 0 ? `  ${run.errors} errors` : ''}`)
    }
  }
  return out
}

export interface ArmSummary {
  arm: string
  medianUs: number
  /** Interval of the median of the arm's own µs/req (sign test), and its coverage. */
  us: { low: number, high: number, level: number }
  reqPerSec: number
  /** Per-round ratio to the first arm: median and its interval (1 for the first arm). */
  ratio: { median: number, low: number, high: number, level: number }
}

export function summariseRounds (arms: readonly RoundArm[], runs: readonly ArmRun[]): ArmSummary[] {
  const base = arms[0]!.name
  const byRound = new Map<string, number>(runs.filter(r => r.arm === base).map(r => [String(r.round), r.usPerReq]))
  return arms.map(a => {
    const mine = runs.filter(r => r.arm === a.name)
    const us = mine.map(r => r.usPerReq)
    const ratios = mine.map(r => r.usPerReq / byRound.get(String(r.round))!)
    const ci = medianInterval(ratios)
    return { arm: a.name, medianUs: median(us), us: medianInterval(us), reqPerSec: median(mine.map(r => r.reqPerSec)), ratio: { median: median(ratios), low: ci.low, high: ci.high, level: ci.level } }
  })
}
