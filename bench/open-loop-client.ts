/**
 * Open-loop load: requests leave at a fixed arrival rate whatever the server
 * does, and each one's latency counts from when it was due, not from when a
 * free connection let it go. A closed loop (wrk, autocannon) waits for answers
 * before sending more, so a slow server is asked less and its queueing never
 * shows ("coordinated omission", Gil Tene); users of a gateway arrive on their
 * own schedule.
 *
 *   node dist/bench/open-loop-client.js --url URL --rate R --duration-s S
 *     [--connections N] [--timeout-ms MS]
 *
 * Sends the fraud request of lib/payload.ts with a new x-user-id each time,
 * stops sending after S seconds, waits for the answers (each bounded by the
 * timeout), and prints one line `BENCH_RESULT {json}`: quantiles of the 2xx
 * answers' latency, and counts of the others.
 */
import { Pool } from 'undici'
import { parseArgs } from 'node:util'
import { INFER_BODY, INFER_PATH, STICKY_HEADER } from './lib/payload.js'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    rate: { type: 'string' },
    'duration-s': { type: 'string' },
    connections: { type: 'string', default: '512' },
    'timeout-ms': { type: 'string', default: '5000' }
  }
})
const url = values.url
const rate = Number(values.rate)
const durationS = Number(values['duration-s'])
const connections = Number(values.connections)
const timeoutMs = Number(values['timeout-ms'])
if (url === undefined || !(rate > 0) || !(durationS > 0) || !(connections > 0) || !(timeoutMs > 0)) {
  process.stderr.write('usage: open-loop-client --url URL --rate R --duration-s S [--connections N] [--timeout-ms MS]\n')
  process.exit(2)
}

const total = Math.round(rate * durationS)
const latencyUs = new Float64Array(total)
let answered = 0
let ok = 0
let non2xx = 0
let failed = 0
let sent = 0
const pool = new Pool(url, { connections, pipelining: 1, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
const body = Buffer.from(INFER_BODY)

function send (i: number, dueAt: number): void {
  pool.request({
    path: INFER_PATH,
    method: 'POST',
    headers: { 'content-type': 'application/json', [STICKY_HEADER]: `u-${i}` },
    body,
    signal: AbortSignal.timeout(timeoutMs)
  }).then(async (res) => {
    await res.body.dump()
    answered++
    // Latency of answers that served the request; refusals are counted apart.
    if (res.statusCode >= 200 && res.statusCode < 300) latencyUs[ok++] = (performance.now() - dueAt) * 1000
    else non2xx++
  }, () => {
    failed++
  })
}

const start = performance.now() + 5
const intervalMs = 1000 / rate
/** Sends every request due by now; runs again on the next turn of the loop. */
function tick (): void {
  const now = performance.now()
  while (sent < total) {
    const due = start + sent * intervalMs
    if (due > now) break
    send(sent, due)
    sent++
  }
  if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, start + sent * intervalMs - performance.now())))
  else void finish()
}

async function finish (): Promise<void> {
  const sendEnd = performance.now()
  const deadline = sendEnd + timeoutMs + 1000
  while (answered + failed < total && performance.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  const lat = latencyUs.subarray(0, ok).sort()
  const q = (p: number): number => lat.length === 0 ? NaN : lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!
  const result = {
    rate,
    durationS,
    sent: total,
    achievedRate: total / ((sendEnd - start) / 1000),
    answered,
    ok,
    non2xx,
    failed: failed + (total - answered - failed),
    p50Us: q(0.5),
    p99Us: q(0.99),
    p999Us: q(0.999),
    maxUs: lat.length === 0 ? NaN : lat[lat.length - 1]
  }
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`)
  await pool.destroy()
  process.exit(0)
}

setTimeout(tick, 5)
