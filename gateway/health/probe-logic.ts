/**
 * The small pieces of a health check that need no timers or sockets: when to
 * probe next, what a result does to a replica's verdict, how a probe's body is
 * read and its failure named.
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

export async function readCapped (body: AsyncIterable<Buffer> & { destroy?: () => void }, max: number): Promise<string> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const chunk of body) {
    chunks.push(chunk)
    n += chunk.length
    if (n >= max) break
  }
  return Buffer.concat(chunks).toString('utf8')
}

export function describeProbeError (err: unknown): string {
  const e = err as { name?: string, code?: string, message?: string }
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout'
  if (typeof e.code === 'string' && e.code !== '') return e.code
  return e.message ?? String(err)
}
