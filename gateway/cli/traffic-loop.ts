/**
 * Live-like traffic for a demo or a rehearsal: scoring requests at a steady
 * rate (open loop: a slow gateway does not slow the sender down, as with real
 * users), each from one of N users (sticky key), with fraud-example features
 * drawn at random. Answers are counted per interval by version and status.
 */
import { Agent } from 'undici'

export interface TrafficOptions {
  url: string
  model: string
  rps: number
  users: number
  /** Header carrying the user id (the model's sticky header). */
  userHeader: string
  /** Fixed body; default: the fraud example's request with random features. */
  body: string | undefined
  /** Requests in flight at most; beyond it a tick is skipped and counted. */
  maxInFlight: number
  /** Stop after this long (ms); undefined: until stop(). */
  durationMs: number | undefined
  reportEveryMs: number
  onReport (r: TrafficReport): void
  random?: () => number
}

export interface TrafficReport {
  /** Seconds since the start. */
  elapsedS: number
  sent: number
  /** Answers by x-model-version ("-" without one). */
  versions: Record<string, number>
  /** Answers by status class ("2xx", "5xx", …) and requests that got no answer ("error"). */
  statuses: Record<string, number>
  /** Ticks skipped because maxInFlight requests were waiting. */
  skipped: number
  p50Ms: number | null
  p99Ms: number | null
}

/** One transaction of the fraud example: amount, account age (days), transactions in 24 h, distance (km). */
export function fraudBody (random: () => number): string {
  const f = [Math.round(random() * 200_000) / 100, Math.floor(random() * 3000), Math.floor(random() * 20), Math.round(random() * 50_000) / 100]
  return `{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP64","data":[${f.join(',')}]}]}`
}

function quantile (sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

export interface RunningTraffic {
  /** Stops sending; resolves with the totals once the requests in flight are answered. */
  stop (): Promise<TrafficReport>
  readonly done: Promise<TrafficReport>
}

export function startTraffic (o: TrafficOptions): RunningTraffic {
  const random = o.random ?? Math.random
  const agent = new Agent({ connections: Math.min(o.maxInFlight, 64), pipelining: 1 })
  const path = `/v2/models/${encodeURIComponent(o.model)}/infer`
  const started = Date.now()
  const total: TrafficReport = { elapsedS: 0, sent: 0, versions: {}, statuses: {}, skipped: 0, p50Ms: null, p99Ms: null }
  let window: TrafficReport = { ...total, versions: {}, statuses: {} }
  let latencies: number[] = []
  let inFlight = 0
  let stopped = false
  let finish: (r: TrafficReport) => void = () => {}
  const done = new Promise<TrafficReport>(resolve => { finish = resolve })

  const add = (r: TrafficReport, version: string | null, status: string): void => {
    if (version !== null) r.versions[version] = (r.versions[version] ?? 0) + 1
    r.statuses[status] = (r.statuses[status] ?? 0) + 1
  }
  const send = (): void => {
    if (inFlight >= o.maxInFlight) { total.skipped++; window.skipped++; return }
    inFlight++
    total.sent++
    window.sent++
    const t0 = performance.now()
    const user = `user-${1 + Math.floor(random() * o.users)}`
    agent.request({ origin: o.url, path, method: 'POST', headers: { 'content-type': 'application/json', [o.userHeader]: user }, body: o.body ?? fraudBody(random) })
      .then(async (res) => {
        await res.body.dump()
        const v = res.headers['x-model-version']
        const version = typeof v === 'string' ? v : '-'
        const status = `${Math.floor(res.statusCode / 100)}xx`
        add(total, version, status)
        add(window, version, status)
        latencies.push(performance.now() - t0)
      }, () => {
        add(total, null, 'error')
        add(window, null, 'error')
      })
      .finally(() => {
        inFlight--
        if (stopped && inFlight === 0) void close()
      })
  }
  // Sends in small bursts every TICK_MS so high rates need few timers; counting
  // from the time that really passed keeps the rate when timers fire late.
  const TICK_MS = 20
  let carry = 0
  let last = performance.now()
  const tick = setInterval(() => {
    const now = performance.now()
    carry = Math.min(carry + o.rps * (now - last) / 1000, o.rps)
    last = now
    for (; carry >= 1; carry--) send()
    if (o.durationMs !== undefined && Date.now() - started >= o.durationMs) void stop()
  }, TICK_MS)
  const report = setInterval(() => {
    latencies.sort((a, b) => a - b)
    o.onReport({ ...window, elapsedS: Math.round((Date.now() - started) / 1000), p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99) })
    window = { elapsedS: 0, sent: 0, versions: {}, statuses: {}, skipped: 0, p50Ms: null, p99Ms: null }
    latencies = []
  }, o.reportEveryMs)

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(report)
      await agent.close()
      finish({ ...total, elapsedS: Math.round((Date.now() - started) / 1000) })
    })()
    return closing
  }
  const stop = async (): Promise<TrafficReport> => {
    if (!stopped) {
      stopped = true
      clearInterval(tick)
      if (inFlight === 0) void close()
    }
    return await done
  }
  return { stop, done }
}

/** One line per report: time, requests, answers per version, status classes, latency. */
export function reportLine (r: TrafficReport): string {
  const versions = Object.entries(r.versions).sort(([a], [b]) => a.localeCompare(b)).map(([v, n]) => `${v} ${n}`).join('  ')
  const statuses = Object.entries(r.statuses).sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s} ${n}`).join('  ')
  const ms = (x: number | null): string => x === null ? '-' : x.toFixed(1)
  const latency = r.p50Ms === null && r.p99Ms === null ? '' : `  | p50 ${ms(r.p50Ms)} ms  p99 ${ms(r.p99Ms)} ms`
  return `+${String(r.elapsedS).padStart(4)}s  sent ${String(r.sent).padStart(5)}  | ${versions || '-'}  | ${statuses || '-'}${latency}${r.skipped > 0 ? `  | skipped ${r.skipped} (too many in flight)` : ''}`
}
