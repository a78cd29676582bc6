/**
 * The load generator: wrk (C, one event loop per thread) with bench/oip-infer.lua,
 * or autocannon in-process when wrk is not installed. Both keep `connections`
 * requests in flight for a fixed duration (closed loop).
 */
import { execFile, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { INFER_BODY, INFER_PATH, STICKY_HEADER } from './payload.js'

export interface LoadOptions {
  connections: number
  durationS: number
  /** wrk threads; one per core given to the load generator. */
  threads: number
  /** taskset core list for the load generator, or undefined. */
  cores: string | undefined
  /** Another wrk script than the fraud infer one (wrk only): the Lua file under bench/, the path, the script's arguments. */
  script?: { lua: string, path: string, args: string[] }
  /** An Authorization header on every request (a data-plane API key). */
  authorization?: string
}

export interface LoadResult {
  requests: number
  /** Measured wall time of the run. */
  durationS: number
  reqPerSec: number
  p50Us: number
  p99Us: number
  /** Socket errors plus responses that were not 2xx/3xx. */
  errors: number
}

export type LoadGenerator = 'wrk' | 'autocannon'

/** Slack on top of the run's duration before a hung load generator is killed. */
const LOAD_TIMEOUT_SLACK_MS = 20_000

// dist/bench/lib/load.js -> <repo>/bench/oip-infer.lua (the Lua file is not compiled).
const LUA_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'oip-infer.lua')

/** Load generators in flight, so an interrupted benchmark can stop them too. */
const inFlight = new Set<ChildProcess>()

export function killLoad (): void {
  for (const p of inFlight) p.kill('SIGKILL')
}

interface WrkSummary {
  requests: number
  durationUs: number
  errors: Record<'connect' | 'read' | 'write' | 'status' | 'timeout', number>
  latencyUs: { p50: number, p99: number }
}

async function runWrk (baseUrl: string, o: LoadOptions): Promise<LoadResult> {
  const script = o.script === undefined ? LUA_SCRIPT : join(dirname(LUA_SCRIPT), o.script.lua)
  const args = ['-t', String(o.threads), '-c', String(o.connections), '-d', `${o.durationS}s`,
    '--timeout', '5s', '-s', script, baseUrl + (o.script?.path ?? INFER_PATH), '--', ...(o.script?.args ?? [INFER_BODY, o.authorization ?? ''])]
  const [cmd, argv] = o.cores === undefined ? ['wrk', args] : ['taskset', ['-c', o.cores, 'wrk', ...args]]
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(cmd, argv, { timeout: o.durationS * 1000 + LOAD_TIMEOUT_SLACK_MS, maxBuffer: 1 << 20 }, (err, out, errOut) => {
      inFlight.delete(child)
      if (err !== null) reject(new Error(`wrk failed: ${err.message} ${errOut}`))
      else resolve(out)
    })
    inFlight.add(child)
  })
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '))
  if (line === undefined) throw new Error(`wrk printed no BENCH_RESULT line:\n${stdout}`)
  const s = JSON.parse(line.slice('BENCH_RESULT '.length)) as WrkSummary
  const durationS = s.durationUs / 1e6
  const e = s.errors
  return {
    requests: s.requests,
    durationS,
    reqPerSec: s.requests / durationS,
    p50Us: s.latencyUs.p50,
    p99Us: s.latencyUs.p99,
    errors: e.connect + e.read + e.write + e.status + e.timeout
  }
}

async function runAutocannon (baseUrl: string, o: LoadOptions): Promise<LoadResult> {
  const { default: autocannon } = await import('autocannon')
  const started = process.hrtime.bigint()
  let n = 0
  const result = await autocannon({
    url: baseUrl + INFER_PATH,
    connections: o.connections,
    duration: o.durationS,
    requests: [{
      method: 'POST',
      body: INFER_BODY,
      // A new sticky key per request, as bench/oip-infer.lua does for wrk.
      setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'content-type': 'application/json', [STICKY_HEADER]: `u-${++n}`, ...(o.authorization === undefined ? {} : { authorization: o.authorization }) } })
    }]
  })
  const durationS = Number(process.hrtime.bigint() - started) / 1e9
  const requests = result.requests.total
  return {
    requests,
    durationS,
    reqPerSec: requests / durationS,
    p50Us: result.latency.p50 * 1000,
    p99Us: result.latency.p99 * 1000,
    errors: result.errors + result.timeouts + result.non2xx
  }
}

export function runLoad (gen: LoadGenerator, baseUrl: string, o: LoadOptions): Promise<LoadResult> {
  if (o.script !== undefined && gen !== 'wrk') return Promise.reject(new Error(`${o.script.lua} needs wrk`))
  return gen === 'wrk' ? runWrk(baseUrl, o) : runAutocannon(baseUrl, o)
}
