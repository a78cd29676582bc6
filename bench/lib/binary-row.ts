/**
 * The binary-tensor row of `npm run bench`: a 1 MiB OIP request (JSON header +
 * raw FP32 bytes, Inference-Header-Content-Length) sent straight to an origin
 * that reads it whole, through the gateway, through the bare node:http + undici
 * proxy (Node's floor) and through nginx, interleaved per run; results in MB/s
 * of request payload and the proxy's CPU per request, medians over runs.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Child } from './child.js'
import { runLoad, type LoadOptions } from './load.js'
import { clockTicksPerSecond, treeCpuTicks } from './proc-cpu.js'
import { median } from './stats.js'

export const BINARY_TENSOR_BYTES = 1024 * 1024

/** `proxy` is the process charged with the CPU (undefined for the direct baseline). */
export interface BinaryContender { name: string, label: string, baseUrl: string, proxy: Child | undefined }
export interface BinaryResult { name: string, label: string, mbPerS: number, reqPerSec: number, p99Us: number, proxyCpuUsPerReq: number | null, errors: number }

/** Writes the request body to `dir` and returns its path and JSON header length. */
export async function writeBinaryBody (dir: string): Promise<{ file: string, headerLength: number, bytes: number }> {
  const elements = BINARY_TENSOR_BYTES / 4
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [1, elements], datatype: 'FP32', parameters: { binary_data_size: BINARY_TENSOR_BYTES } }] }))
  const body = Buffer.concat([header, randomBytes(BINARY_TENSOR_BYTES)])
  const file = join(dir, 'binary-body.bin')
  await writeFile(file, body)
  return { file, headerLength: header.length, bytes: body.length }
}

export async function binaryRow (contenders: readonly BinaryContender[], path: string, body: { file: string, headerLength: number, bytes: number }, opts: LoadOptions, runs: number, log: (s: string) => void): Promise<BinaryResult[]> {
  const samples = new Map<string, Array<{ mbPerS: number, reqPerSec: number, p99Us: number, cpuUs: number | null, errors: number }>>(contenders.map(c => [c.name, []]))
  const ticksPerS = await clockTicksPerSecond()
  const load: LoadOptions = { ...opts, script: { lua: 'oip-binary.lua', path, args: [body.file, String(body.headerLength)] } }
  for (let run = 0; run < runs; run++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(i + run) % contenders.length]!
      const before = c.proxy === undefined ? 0 : await treeCpuTicks(c.proxy.pid)
      const r = await runLoad('wrk', c.baseUrl, load)
      const cpuUs = c.proxy === undefined ? null : (await treeCpuTicks(c.proxy.pid) - before) / ticksPerS * 1e6 / Math.max(1, r.requests)
      const mbPerS = r.requests * body.bytes / r.durationS / 1e6
      samples.get(c.name)!.push({ mbPerS, reqPerSec: r.reqPerSec, p99Us: r.p99Us, cpuUs, errors: r.errors })
      log(`binary run ${run + 1}/${runs}  ${c.name.padEnd(10)} ${mbPerS.toFixed(0).padStart(6)} MB/s  ${r.reqPerSec.toFixed(0)} req/s  p99 ${(r.p99Us / 1000).toFixed(1)} ms  proxy CPU ${cpuUs === null ? '—' : `${cpuUs.toFixed(0)} µs/req`}${r.errors > 0 ? `  ERRORS ${r.errors}` : ''}`)
    }
  }
  return contenders.map(c => {
    const s = samples.get(c.name)!
    const cpu = s.flatMap(x => x.cpuUs === null ? [] : [x.cpuUs])
    return { name: c.name, label: c.label, mbPerS: median(s.map(x => x.mbPerS)), reqPerSec: median(s.map(x => x.reqPerSec)), p99Us: median(s.map(x => x.p99Us)), proxyCpuUsPerReq: cpu.length === 0 ? null : median(cpu), errors: s.reduce((n, x) => n + x.errors, 0) }
  })
}

export function binaryMarkdown (rows: readonly BinaryResult[], bytes: number, connections: number): string {
  const base = rows.find(r => r.name === 'nginx')
  const out = [
    `## 1 MiB binary tensors (${bytes.toLocaleString('en-US')}-byte requests, ${connections} connections)`, '',
    '| contender | MB/s (median) | req/s | p99 ms | proxy CPU µs/req | vs nginx | errors |', '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(r => `| ${r.label} | ${r.mbPerS.toFixed(0)} | ${r.reqPerSec.toFixed(0)} | ${(r.p99Us / 1000).toFixed(1)} | ${r.proxyCpuUsPerReq === null ? '—' : r.proxyCpuUsPerReq.toFixed(0)} | ${base === undefined ? 'n/a' : `${(r.mbPerS / base.mbPerS).toFixed(2)}×`} | ${r.errors} |`),
    ''
  ]
  return out.join('\n')
}
