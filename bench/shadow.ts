/**
 * Shadow traffic benchmark, in one run: one gateway, the same load
 * with the shadow at 0% (no shadow set), at 10% and at 100% (every request
 * mirrored to a second model process), interleaved run by run. Reports the
 * client's p50/p99, req/s and the gateway's CPU per request, and the ratios to 0%.
 *
 * CPU layout on two cores: the load generator and the shadow model share core 0;
 * the gateway and the primary model share core 1. The shadow model's own work
 * (the doubled model load) thus never competes with the gateway or the primary;
 * what the 100% runs add on core 1 is the gateway's cost of mirroring: the second
 * upstream call, the pair's comparison and its line in the scoring log (sink
 * "file", so the whole pipeline path runs).
 *
 * `npm run bench:shadow`. Knobs: BENCH_CONNECTIONS (32), BENCH_DURATION_S (10),
 * BENCH_RUNS (5), BENCH_WARMUP_S (3), BENCH_SHADOW_PIPELINING (the config's default, 1). Writes
 * bench/results/shadow.md.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { stringify } from 'yaml'
import { killAllNow, readyLine, start, stopAll } from './lib/child.js'
import { clockTicksPerSecond, treeCpuTicks } from './lib/proc-cpu.js'
import { killLoad, runLoad, type LoadGenerator, type LoadOptions } from './lib/load.js'
import { DEFAULT_SHADOW_PIPELINING } from '../gateway/config/defaults.js'
import { checkInfer, MODEL } from './lib/payload.js'
import { findTools } from './lib/tools.js'
import { median, minMax } from './lib/stats.js'
import { intEnv } from './lib/env.js'

const DEFAULT_CONNECTIONS = 32
const DEFAULT_DURATION_S = 10
const DEFAULT_RUNS = 5
const DEFAULT_WARMUP_S = 3
const TOKEN = 'bench-admin-token-not-secret-0123456789'
/** The aim: client p99 at 100% shadow at most 10% above 0%. */
const P99_AIM = 1.10
/** shadow.pipelining of the gateway under test (BENCH_SHADOW_PIPELINING; 1 sends mirrors on the live connections). */
const PIPELINING = intEnv('BENCH_SHADOW_PIPELINING', DEFAULT_SHADOW_PIPELINING, 1)

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '..', '..')
const fraudMain = join(repo, 'dist', 'scorer-sdk', 'examples', 'fraud', 'main.js')
const gatewayMain = join(repo, 'dist', 'gateway', 'main.js')
const log = (s: string): void => { process.stdout.write(`${s}\n`) }

interface Sample { reqPerSec: number, p50Us: number, p99Us: number, cpuUsPerReq: number, errors: number }

async function adminCall (adminUrl: string, method: 'PUT' | 'DELETE', body?: object): Promise<void> {
  const res = await fetch(`${adminUrl}/admin/models/${MODEL}/shadow`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  // Stopping a shadow that is not running answers 400: the state is what we want either way.
  if (res.status !== 200 && !(method === 'DELETE' && res.status === 400)) throw new Error(`shadow ${method}: ${res.status} ${text}`)
}

async function shadowCounts (adminUrl: string): Promise<string> {
  const text = await (await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
  return text.split('\n').filter(l => l.startsWith('model_gateway_shadow_requests_total{')).map(l => l.replace('model_gateway_shadow_requests_total', '')).join(' ')
}

async function main (): Promise<number> {
  const connections = intEnv('BENCH_CONNECTIONS', DEFAULT_CONNECTIONS, 1)
  const durationS = intEnv('BENCH_DURATION_S', DEFAULT_DURATION_S, 1)
  const runs = intEnv('BENCH_RUNS', DEFAULT_RUNS, 1)
  const warmupS = intEnv('BENCH_WARMUP_S', DEFAULT_WARMUP_S, 0)
  const watchdog = setTimeout(() => { process.stderr.write('bench: over its time budget; stopping\n'); killAllNow(); process.exit(1) }, (300 + 3 * (warmupS + runs * (durationS + 5))) * 1000)
  watchdog.unref()

  const tools = await findTools(log)
  const gen: LoadGenerator = tools.wrk !== undefined ? 'wrk' : 'autocannon'
  const pin = availableParallelism() >= 2 && tools.taskset !== undefined
  const [loadCores, shadowCores, serverCores] = pin ? ['0', '0', '1'] : [undefined, undefined, undefined]
  if (pin) await promisify(execFile)('taskset', ['-p', '-c', '0', String(process.pid)])
  const layout = pin
    ? `load generator (${gen}) and the shadow model pinned to core 0 (taskset -c 0); gateway and primary model pinned to core 1 (taskset -c 1)`
    : 'no CPU pinning (no taskset or one core): everything shares the CPU'
  log(layout)

  const tmp = await mkdtemp(join(tmpdir(), 'gw-bench-shadow-'))
  const loadAtStart = loadavg()[0]!
  try {
    const primary = start('primary', process.execPath, [fraudMain, '--version', 'v1', '--port', '0'], serverCores)
    const shadow = start('shadow', process.execPath, [fraudMain, '--version', 'v2', '--port', '0'], shadowCores)
    const [p, s] = await Promise.all([readyLine(primary), readyLine(shadow)])
    const configFile = join(tmp, 'gateway.yaml')
    await writeFile(configFile, stringify({
      gateway: { host: '127.0.0.1' },
      admin: { host: '127.0.0.1', tokens: [{ name: 'bench', token: TOKEN, role: 'admin' }] },
      logging: { sink: 'file', file: join(tmp, 'scoring.ndjson') },
      models: {
        [MODEL]: {
          versions: { v1: { replicas: [`http://127.0.0.1:${Number(p.port)}`] }, v2: { replicas: [`http://127.0.0.1:${Number(s.port)}`] } },
          release: { strategy: 'canary', stable: 'v1' },
          sampling: { rate: 0.01 }
        }
      },
      shadow: { pipelining: PIPELINING }
    }))
    const gateway = start('gateway', process.execPath, [gatewayMain, '--config', configFile, '--port', '0', '--admin-port', '0'], serverCores)
    const ready = await readyLine(gateway)
    const baseUrl = `http://127.0.0.1:${Number(ready.port)}`
    const adminUrl = `http://127.0.0.1:${Number(ready.adminPort)}`
    await checkInfer(baseUrl, 'gateway')

    const modes = [
      { name: 'shadow 0%', set: () => adminCall(adminUrl, 'DELETE') },
      { name: 'shadow 10%', set: () => adminCall(adminUrl, 'PUT', { version: 'v2', weight: 1_000 }) },
      { name: 'shadow 100%', set: () => adminCall(adminUrl, 'PUT', { version: 'v2', weight: 10_000 }) }
    ]
    const loadOpts: LoadOptions = { connections, durationS, threads: 1, cores: loadCores }
    log(`${connections} connections, ${runs} runs x ${durationS} s per mode, interleaved, ${warmupS} s warm-up each`)
    for (const m of modes) {
      await m.set()
      if (warmupS > 0) await runLoad(gen, baseUrl, { ...loadOpts, durationS: warmupS })
    }
    const ticksPerS = await clockTicksPerSecond()
    const samples = new Map<string, Sample[]>(modes.map(m => [m.name, []]))
    for (let run = 0; run < runs; run++) {
      for (const m of run % 2 === 0 ? modes : [...modes].reverse()) {
        await m.set()
        const before = await treeCpuTicks(gateway.pid)
        const r = await runLoad(gen, baseUrl, loadOpts)
        const cpu = ((await treeCpuTicks(gateway.pid)) - before) / ticksPerS * 1e6 / Math.max(1, r.requests)
        samples.get(m.name)!.push({ reqPerSec: r.reqPerSec, p50Us: r.p50Us, p99Us: r.p99Us, cpuUsPerReq: cpu, errors: r.errors })
        log(`run ${run + 1}/${runs}  ${m.name.padEnd(12)} ${Math.round(r.reqPerSec).toString().padStart(6)} req/s  p50 ${(r.p50Us / 1000).toFixed(2)} ms  p99 ${(r.p99Us / 1000).toFixed(2)} ms  gateway CPU ${cpu.toFixed(0)} µs/req${r.errors > 0 ? `  ERRORS ${r.errors}` : ''}`)
      }
    }
    const mirrored = await shadowCounts(adminUrl)

    const sum = (name: string): Sample & { range: [number, number] } => {
      const xs = samples.get(name)!
      return {
        reqPerSec: median(xs.map(x => x.reqPerSec)),
        range: minMax(xs.map(x => x.reqPerSec)),
        p50Us: median(xs.map(x => x.p50Us)),
        p99Us: median(xs.map(x => x.p99Us)),
        cpuUsPerReq: median(xs.map(x => x.cpuUsPerReq)),
        errors: xs.reduce((a, x) => a + x.errors, 0)
      }
    }
    const off = sum('shadow 0%')
    const tenth = sum('shadow 10%')
    const on = sum('shadow 100%')
    const p99Ratio = on.p99Us / off.p99Us
    const ratio = (name: string, x: Sample): string[] => [name, (x.reqPerSec / off.reqPerSec).toFixed(2), (x.p50Us / off.p50Us).toFixed(2), (x.p99Us / off.p99Us).toFixed(2), (x.cpuUsPerReq / off.cpuUsPerReq).toFixed(2), '']
    const rows = [
      ['mode', 'req/s (median, min–max)', 'p50 ms', 'p99 ms', 'gateway CPU µs/req', 'errors'],
      ...([['shadow 0%', off], ['shadow 10%', tenth], ['shadow 100%', on]] as const).map(([n, x]) => [n, `${Math.round(x.reqPerSec)} (${Math.round(x.range[0])}–${Math.round(x.range[1])})`, (x.p50Us / 1000).toFixed(2), (x.p99Us / 1000).toFixed(2), x.cpuUsPerReq.toFixed(0), String(x.errors)]),
      ratio('10% / 0%', tenth),
      ratio('100% / 0%', on)
    ]
    const md = [
      '# Shadow traffic benchmark (`npm run bench:shadow`)',
      '',
      `| ${rows[0]!.join(' | ')} |`,
      `|${rows[0]!.map(() => '---').join('|')}|`,
      ...rows.slice(1).map(r => `| ${r.join(' | ')} |`),
      '',
      `Aim: client p99 at 100% shadow at most ${Math.round((P99_AIM - 1) * 100)}% above 0%: ${p99Ratio <= P99_AIM ? 'met' : 'NOT met'} (ratio ${p99Ratio.toFixed(2)}).`,
      '',
      `- ${connections} connections (closed loop), ${runs} runs x ${durationS} s per mode, modes interleaved (order alternates per run), ${warmupS} s warm-up each; medians over runs`,
      `- ${layout}`,
      `- gateway: model fraud, stable v1 (primary process), shadow v2 (second process), scoring log to a file (sampling 1%, every shadow pair written), shadow.maxInFlight 64, shadow.pipelining ${PIPELINING}`,
      `- shadow calls at the end: ${mirrored}`,
      `- ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; 1-minute load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end (other work on the machine adds noise)`,
      ''
    ].join('\n')
    log('')
    log(md)
    await mkdir(join(repo, 'bench', 'results'), { recursive: true })
    await writeFile(join(repo, 'bench', 'results', 'shadow.md'), md)
    log('wrote bench/results/shadow.md')
    return off.errors + tenth.errors + on.errors > 0 ? 1 : 0
  } finally {
    clearTimeout(watchdog)
    await stopAll()
    await rm(tmp, { recursive: true, force: true })
  }
}

process.on('exit', () => { killLoad(); killAllNow() })
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => { killLoad(); void stopAll().finally(() => process.exit(130)) })
}

main().then((code) => { process.exitCode = code }, async (err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`)
  await stopAll()
  process.exitCode = 1
})
