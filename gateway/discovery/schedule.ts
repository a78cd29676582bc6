/**
 * When to resolve a DNS name again (pure). After an answer: when its records
 * expire (the smallest TTL), but never sooner than minIntervalMs (a TTL of 0
 * must not turn into a query loop) and never later than maxIntervalMs (a long
 * TTL must not hide scaled pods for long). After a failure: exponential backoff
 * from minIntervalMs, capped at maxIntervalMs, so a DNS outage is not hammered.
 */
export interface ResolveTiming {
  minIntervalMs: number
  maxIntervalMs: number
}

export function delayAfterAnswer (ttlSeconds: number, t: ResolveTiming): number {
  const ms = Number.isFinite(ttlSeconds) && ttlSeconds > 0 ? ttlSeconds * 1000 : 0
  return Math.min(t.maxIntervalMs, Math.max(t.minIntervalMs, ms))
}

/** `failures` counts consecutive failures, this one included (1 for the first). */
export function delayAfterFailure (failures: number, t: ResolveTiming): number {
  const exp = Math.min(Math.max(failures, 1) - 1, 30)
  return Math.min(t.maxIntervalMs, t.minIntervalMs * 2 ** exp)
}
