/**
 * h2load (nghttp2, Debian's nghttp2-client) as the gRPC load generator: C, one
 * event loop, `connections` HTTP/2 connections with one stream each in flight
 * (closed loop). A gRPC call is an HTTP/2 POST of a length-prefixed message
 * with `content-type: application/grpc` and `te: trailers`, which h2load sends
 * as it is; --h1 sends the REST row over HTTP/1.1 the same way. Latencies come
 * from h2load's per-request log.
 */
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { median } from './stats.js'
import type { LoadResult } from './load.js'

const run = promisify(execFile)

/** The same figures as the HTTP load generator's (bench/lib/load.ts). */
export type H2Result = LoadResult

/** The 5-byte gRPC message prefix (not compressed, length) and the message: a body h2load can send. */
export function grpcFrame (message: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head.writeUInt32BE(message.length, 1)
  return Buffer.concat([head, message])
}

export interface H2Options {
  url: string
  bodyFile: string
  headers: Record<string, string>
  connections: number
  durationS: number
  h1?: boolean
  cores: string | undefined
  logDir: string
}

function quantile (sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

export async function runH2load (o: H2Options): Promise<H2Result> {
  const log = join(o.logDir, `h2load-${Date.now()}.log`)
  await writeFile(log, '')
  const args = ['-c', String(o.connections), '-m', '1', '-t', '1', '-D', String(o.durationS), '-d', o.bodyFile, `--log-file=${log}`, ...(o.h1 === true ? ['--h1'] : []),
    ...Object.entries(o.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), o.url]
  const [cmd, argv] = o.cores === undefined ? ['h2load', args] : ['taskset', ['-c', o.cores, 'h2load', ...args]]
  const { stdout } = await run(cmd, argv, { timeout: (o.durationS + 30) * 1000, maxBuffer: 4 * 1024 * 1024 })
  const finished = /finished in ([\d.]+)(m?s), ([\d.]+) req\/s/.exec(stdout)
  const counts = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(stdout)
  const status = /status codes: (\d+) 2xx/.exec(stdout)
  if (finished === null || counts === null) throw new Error(`h2load output not understood:\n${stdout}`)
  const done = Number(counts[2])
  const durations = (await readFile(log, 'utf8')).split('\n').filter(l => l !== '').map(l => Number(l.split('\t')[2])).sort((a, b) => a - b)
  return {
    requests: done,
    durationS: Number(finished[1]) / (finished[2] === 'ms' ? 1000 : 1),
    reqPerSec: Number(finished[3]),
    p50Us: durations.length > 0 ? quantile(durations, 0.5) : NaN,
    p99Us: quantile(durations, 0.99),
    errors: Number(counts[4]) + Number(counts[5]) + Math.max(0, done - Number(status?.[1] ?? 0))
  }
}

export { median }
