/**
 * The small pieces of a health check that need no timers or sockets: when to
 * probe next and what a result does to a replica's verdict.
 */
import type { ResolvedModel } from '../config/load.js'

type HealthSettings = ResolvedModel['healthCheck']

/**
 * Delay before the next probe: the interval minus up to `jitter` of it, so the
 * time between probes never exceeds the interval (detection stays within
 * interval + timeout per failed probe).
 */
export function nextProbeDelay (intervalMs: number, jitter: number, random: () => number = Math.random): number {
  return Math.max(1, Math.round(intervalMs * (1 - jitter * random())))
}

/**
 * Delay after a target's first probe: a random point within one interval. A
 * fresh gateway probes every replica at once; without this, their later probes
 * would stay bunched behind that burst for as long as the gateway runs.
 */
export function firstProbeDelay (intervalMs: number, random: () => number = Math.random): number {
  return Math.max(1, Math.round(intervalMs * random()))
}

export interface ProbeCounters {
  consecutiveFailures: number
  consecutiveSuccesses: number
}

/**
 * Applies one probe result to the counters and returns the replica's new
 * health verdict (pure: the caller applies it).
 */
export function applyProbe (c: ProbeCounters, ok: boolean, healthy: boolean, s: Pick<HealthSettings, 'unhealthyThreshold' | 'healthyThreshold'>): boolean {
  if (ok) {
    c.consecutiveFailures = 0
    c.consecutiveSuccesses++
    return healthy || c.consecutiveSuccesses >= s.healthyThreshold
  }
  c.consecutiveSuccesses = 0
  c.consecutiveFailures++
  return healthy && c.consecutiveFailures < s.unhealthyThreshold
}

/** Timer steps per interval: at a 60 s interval, probes start on a 100 ms grid. */
export const TIMER_GRID_STEPS = 600

/**
 * A time (or delay) rounded down onto a grid of interval / 600. Node keeps one
 * timer list per distinct duration: 12,000 targets with a random delay each
 * made 12,000 lists in a priority queue, re-sorted on every probe; on the grid
 * the probes due at one point share a timer (probe-times.ts), and still start
 * spread across the interval.
 */
export function onTimerGrid (delayMs: number, intervalMs: number): number {
  const step = Math.floor(intervalMs / TIMER_GRID_STEPS)
  return step <= 1 ? delayMs : Math.max(1, delayMs - delayMs % step)
}
