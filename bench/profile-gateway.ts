/**
 * Where the gateway's time goes under load: runs the gateway once with
 * `node --cpu-prof` behind the same origin, config, pinning and wrk load as
 * bench/proxy.ts, then prints the top self-time functions and files.
 *
 * `npm run bench:profile`; env BENCH_CONNECTIONS (32), BENCH_DURATION_S (10),
 * BENCH_PROFILE_TOP (25), BENCH_PROFILE_DIR (a temp dir; the .cpuprofile is kept
 * there and can be opened in Chrome DevTools).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { killAllNow, readyLine, start, stop, stopAll, waitExit } from './lib/child.js'
import { killLoad, runLoad } from './lib/load.js'
import { clockTicksPerSecond, treeCpuTicks } from './lib/proc-cpu.js'
import { checkInfer } from './lib/payload.js'
import { gatewayConfigYaml } from './lib/gateway-config.js'
import { findTools } from './lib/tools.js'
import { formatTop, summariseProfile, type CpuProfile } from './lib/cpu-profile.js'
import { intEnv } from './lib/env.js'

/** Time the gateway gets to write its profile after SIGTERM. */
const PROFILE_WRITE_TIMEOUT_MS = 30_000

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '..', '..')
const log = (s: string): void => { process.stdout.write(`${s}\n`) }

async function main (): Promise<void> {
  const connections = intEnv('BENCH_CONNECTIONS', 32)
  const durationS = intEnv('BENCH_DURATION_S', 10)
  const top = intEnv('BENCH_PROFILE_TOP', 25)
  const dir = process.env.BENCH_PROFILE_DIR ?? await mkdtemp(join(tmpdir(), 'gw-prof-'))

  const tools = await findTools(log)
  const gen = tools.wrk !== undefined ? 'wrk' : 'autocannon'
  const pin = availableParallelism() >= 2 && tools.taskset !== undefined
  const loadCores = pin ? '0' : undefined
  const serverCores = pin ? '1' : undefined
  if (pin) await promisify(execFile)('taskset', ['-p', '-c', '0', String(process.pid)])

  const origin = start('origin', process.execPath, [join(repo, 'dist/scorer-sdk/examples/fraud/main.js'), '--version', 'v1', '--port', '0'], serverCores)
  const originUrl = `http://127.0.0.1:${Number((await readyLine(origin)).port)}`
  const configFile = join(dir, 'gateway.yaml')
  await writeFile(configFile, gatewayConfigYaml(originUrl, originUrl))
  const gateway = start('gateway', process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${dir}`, join(repo, 'dist/gateway/main.js'), '--config', configFile, '--port', '0', '--admin-port', '0'], serverCores)
  const gwUrl = `http://127.0.0.1:${Number((await readyLine(gateway)).port)}`
  await checkInfer(gwUrl, 'gateway')

  const ticksBefore = await treeCpuTicks(gateway.pid)
  const fromUs = Number(process.hrtime.bigint() / 1000n)
  const r = await runLoad(gen, gwUrl, { connections, durationS, threads: 1, cores: loadCores })
  const toUs = Number(process.hrtime.bigint() / 1000n)
  const cpuUs = (await treeCpuTicks(gateway.pid) - ticksBefore) / await clockTicksPerSecond() * 1e6
  log(`gateway under ${gen}: ${Math.round(r.reqPerSec)} req/s, p50 ${(r.p50Us / 1000).toFixed(2)} ms, p99 ${(r.p99Us / 1000).toFixed(2)} ms, ${r.requests} requests, ${r.errors} errors${pin ? ' (load on core 0, origin + gateway on core 1)' : ''}`)

  // The profile is written when the process exits normally, so stop it with SIGTERM and wait.
  gateway.proc.kill('SIGTERM')
  await waitExit(gateway, PROFILE_WRITE_TIMEOUT_MS)
  await stop(origin)

  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'))
  if (file === undefined) throw new Error(`no .cpuprofile written in ${dir}`)
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile
  // V8's profile clock and process.hrtime are both CLOCK_MONOTONIC on Linux, so the
  // load window can be cut out of the profile; if they disagree, use all of it.
  const inWindow = profile.startTime < toUs && profile.endTime > fromUs
  const s = summariseProfile(profile, inWindow ? { fromUs, toUs } : undefined)
  log(`profile ${join(dir, file)}: ${inWindow ? 'load window only' : 'whole process lifetime (clocks did not line up)'}, ${(s.totalUs / 1e6).toFixed(1)} s sampled, ${(s.busyUs / 1e6).toFixed(1)} s not idle`)
  log(`\ntop ${top} functions by self time`)
  log(formatTop(s.byFunction, top, s.busyUs, r.requests))
  log(`\ntop 15 files by self time`)
  log(formatTop(s.byFile, 15, s.busyUs, r.requests))
  // The sampler charges wall time: a thread preempted inside a syscall (a loopback
  // write that wakes the origin on the same core) is charged to that syscall.
  log(`\nper request: ${(s.busyUs / Math.max(1, r.requests)).toFixed(0)} µs non-idle in the profile (wall time on the main thread); ${(cpuUs / Math.max(1, r.requests)).toFixed(0)} µs CPU (utime+stime from /proc, during the load only, all threads)`)
}

process.on('exit', () => { killLoad(); killAllNow() })
process.once('SIGINT', () => { killLoad(); stopAll().finally(() => process.exit(130)) })
main().catch(async (err: unknown) => {
  process.stderr.write(`bench:profile: ${(err as Error).stack ?? String(err)}\n`)
  await stopAll()
  process.exitCode = 1
})
