/** `--now` of the outcome commands: a past (or simulated) moment to run as of, ISO 8601 or epoch ms. */
import { UsageError } from './usage-error.js'

export function parseNow (s: string | undefined, now = Date.now()): number {
  if (s === undefined) return now
  const t = /^\d{10,16}$/.test(s.trim()) ? Number(s.trim()) : Date.parse(s)
  if (!Number.isFinite(t) || t < Date.UTC(2000, 0, 1)) throw new UsageError(`--now must be an ISO 8601 time or epoch milliseconds, got "${s}"`)
  return t
}
