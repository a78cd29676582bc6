/**
 * gRPC benchmark, in one run: unary ModelInfer, small (the fraud request) and
 * 1 MiB each way, straight to the origin (baseline), through the gateway's
 * gRPC listener, and through nginx's grpc_pass (Debian's nginx, on loopback);
 * plus the small request over REST through the gateway, so the two listeners'
 * costs per request are compared in the same run. Load by h2load (C); the
 * origin answers fixed messages (bench/grpc-origin.ts) so the proxies are what
 * is measured. Contenders are interleaved round-robin per run; results are
 * medians over runs.
 *
 * `npm run bench:grpc`. Knobs from env: BENCH_CONNECTIONS (32),
 * BENCH_DURATION_S (10), BENCH_RUNS (3), BENCH_WARMUP_S (3).
 * Writes bench/results/grpc-latest.json and grpc-latest.md.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import * as grpc from '@grpc/grpc-js'
import { stringify } from 'yaml'
import { messageType, rpcPath } from '../proto/oip-proto.js'
import { killAllNow, readyLine, start, stopAll, type Child } from './lib/child.js'
import { clockTicksPerSecond, treeCpuTicks } from './lib/proc-cpu.js'
import { startNginx } from './lib/nginx.js'
import { findTools, versionOf } from './lib/tools.js'
import { intEnv } from './lib/env.js'
import { grpcFrame, runH2load, type H2Result } from './lib/h2load.js'
import { median, minMax } from './lib/stats.js'
import { INFER_BODY, INFER_PATH, STICKY_HEADER } from './lib/payload.js'
import { BIG_TENSOR_BYTES } from './grpc-origin.js'

const here = dirname(fileURLToPath(import.meta.url)) // <repo>/dist/bench
const repo = join(here, '..', '..')
const resultsDir = join(repo, 'bench', 'results')
const gatewayMain = join(repo, 'dist', 'gateway', 'main.js')
const originMain = join(here, 'grpc-origin.js')
const log = (s: string): void => { process.stdout.write(`${s}\n`) }
/** Extra node flags for the gateway alone (BENCH_GATEWAY_NODE_ARGS, space-separated), e.g. --cpu-prof. */
const gatewayNodeArgs = (): string[] => (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(a => a !== '')

interface Contender { row: 'small' | '1 MiB', name: string, label: string, url: string, body: string, h1: boolean, proxy: Child | undefined }
interface Sample extends H2Result { proxyCpuUsPerReq: number | null }

async function freePort (): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => { srv.listen(0, '127.0.0.1', resolve) })
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((resolve) => { srv.close(() => { resolve() }) })
  return port
}

function inferRequest (model: string, big: boolean): Buffer {
  const type = messageType('ModelInferRequest')
  const v = big
    ? { modelName: model, inputs: [{ name: 'x', datatype: 'FP32', shape: [BIG_TENSOR_BYTES / 4] }], rawInputContents: [Buffer.alloc(BIG_TENSOR_BYTES, 3)] }
    : { modelName: model, id: '6f1c2a9e-bench-request-000001', inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 4], contents: { fp64Contents: [250.0, 30, 3, 12.5] } }] }
  return Buffer.from(type.encode(type.fromObject(v)).finish())
}

/** One call before load: a contender that does not answer OK is a setup bug. */
async function checkGrpc (target: string, message: Buffer, name: string): Promise<grpc.Metadata> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 })
  const identity = (b: Buffer): Buffer => b
  try {
    return await new Promise<grpc.Metadata>((resolve, reject) => {
      let headers = new grpc.Metadata()
      const call = client.makeUnaryRequest<Buffer, Buffer>(rpcPath('ModelInfer'), identity, identity, message, new grpc.Metadata(), { deadline: Date.now() + 5_000 }, (err) => {
        if (err !== null && err !== undefined) reject(new Error(`${name}: smoke call failed: ${err.code} ${err.details}`))
        else resolve(headers)
      })
      call.on('metadata', (m: grpc.Metadata) => { headers = m })
    })
  } finally {
    client.close()
  }
}

function gatewayConfig (originGrpc: string, originHttp: string): string {
  return stringify({
    gateway: { host: '127.0.0.1' },
    grpc: { enabled: true, host: '127.0.0.1' },
    admin: { host: '127.0.0.1', tokens: [{ name: 'bench', token: 'bench-admin-token-not-secret-0123456789', role: 'admin' }] },
    logging: { sink: 'off' },
    models: {
      fraud: {
        sticky: { header: STICKY_HEADER },
        versions: { v1: { replicas: [originGrpc, originHttp] }, v2: { replicas: [originGrpc, originHttp] } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 1000 }
      },
      tensors: { versions: { v1: { replicas: [originGrpc] } }, release: { strategy: 'canary', stable: 'v1' }, bodyLimitBytes: 4 * BIG_TENSOR_BYTES }
    }
  })
}

async function main (): Promise<number> {
  const connections = intEnv('BENCH_CONNECTIONS', 32, 1)
  const durationS = intEnv('BENCH_DURATION_S', 10, 1)
  const runs = intEnv('BENCH_RUNS', 3, 1)
  const warmupS = intEnv('BENCH_WARMUP_S', 3, 0)
  const watchdog = setTimeout(() => { killAllNow(); process.exit(1) }, (600 + 7 * (warmupS + runs * (durationS + 5))) * 1000)
  watchdog.unref()

  const tools = await findTools(log)
  if (tools.nginx === undefined) throw new Error('nginx is needed as the reference proxy (apt-get install nginx)')
  const pin = availableParallelism() >= 2 && tools.taskset !== undefined
  const [loadCores, serverCores] = pin ? ['0', '1'] : [undefined, undefined]
  if (pin) await promisify(execFile)('taskset', ['-p', '-c', '0', String(process.pid)])
  const loadAtStart = loadavg()
  const tmp = await mkdtemp(join(tmpdir(), 'gw-bench-grpc-'))
  try {
    const origin = start('origin', process.execPath, [originMain], serverCores)
    const o = await readyLine(origin)
    const originGrpc = `127.0.0.1:${Number(o.grpcPort)}`
    const configFile = join(tmp, 'gateway.yaml')
    await writeFile(configFile, gatewayConfig(`grpc://${originGrpc}`, `http://127.0.0.1:${Number(o.httpPort)}`))
    const gateway = start('gateway', process.execPath, [...gatewayNodeArgs(), gatewayMain, '--config', configFile, '--port', '0', '--admin-port', '0', '--grpc-port', '0'], serverCores)
    const g = await readyLine(gateway)
    const nginxPort = await freePort()
    const nginx = await startNginx(tools.nginx, join(tmp, 'nginx'), nginxPort, Number(o.grpcPort), serverCores, true)

    const small = inferRequest('fraud', false)
    const big = inferRequest('tensors', true)
    const bodies = { small: join(tmp, 'small.grpc'), big: join(tmp, 'big.grpc'), rest: join(tmp, 'small.json') }
    await writeFile(bodies.small, grpcFrame(small))
    await writeFile(bodies.big, grpcFrame(big))
    await writeFile(bodies.rest, INFER_BODY)
    const targets = { direct: originGrpc, gateway: `127.0.0.1:${Number(g.grpcPort)}`, nginx: `127.0.0.1:${nginxPort}` }
    for (const [name, t] of Object.entries(targets)) {
      const md = await checkGrpc(t, small, name)
      await checkGrpc(t, big, name)
      if (name === 'gateway' && md.get('x-model-version').length === 0) throw new Error('gateway answer has no x-model-version metadata')
    }
    const contenders: Contender[] = []
    for (const [row, body] of [['small', bodies.small], ['1 MiB', bodies.big]] as const) {
      contenders.push(
        { row, name: 'direct', label: 'direct (no proxy)', url: `http://${targets.direct}${rpcPath('ModelInfer')}`, body, h1: false, proxy: undefined },
        { row, name: 'gateway', label: 'model-gateway gRPC', url: `http://${targets.gateway}${rpcPath('ModelInfer')}`, body, h1: false, proxy: gateway },
        { row, name: 'nginx', label: 'nginx grpc_pass', url: `http://${targets.nginx}${rpcPath('ModelInfer')}`, body, h1: false, proxy: nginx })
    }
    contenders.push({ row: 'small', name: 'gateway-rest', label: 'model-gateway REST (same request as JSON)', url: `http://127.0.0.1:${Number(g.port)}${INFER_PATH}`, body: bodies.rest, h1: true, proxy: gateway })
    const headersOf = (c: Contender): Record<string, string> => c.h1
      ? { 'content-type': 'application/json', [STICKY_HEADER]: 'bench-user' }
      : { 'content-type': 'application/grpc', te: 'trailers', [STICKY_HEADER]: 'bench-user' }
    const load = (c: Contender, s: number): Promise<H2Result> => runH2load({ url: c.url, bodyFile: c.body, headers: headersOf(c), connections, durationS: s, h1: c.h1, cores: loadCores, logDir: tmp })
    log(`load average at start: ${loadAtStart.map(v => v.toFixed(2)).join(' ')}; ${pin ? 'h2load on core 0, origin and proxies on core 1' : 'no CPU pinning'}; ${connections} connections, ${runs} runs x ${durationS} s`)
    for (const c of contenders) if (warmupS > 0) await load(c, warmupS)

    const ticksPerS = await clockTicksPerSecond()
    const samples = new Map<Contender, Sample[]>(contenders.map(c => [c, []]))
    for (let run = 0; run < runs; run++) {
      for (let i = 0; i < contenders.length; i++) {
        const c = contenders[(i + run) % contenders.length]!
        const before = c.proxy === undefined ? 0 : await treeCpuTicks(c.proxy.pid)
        const r = await load(c, durationS)
        const after = c.proxy === undefined ? 0 : await treeCpuTicks(c.proxy.pid)
        const cpu = c.proxy === undefined ? null : ((after - before) / ticksPerS) * 1e6 / Math.max(1, r.requests)
        samples.get(c)!.push({ ...r, proxyCpuUsPerReq: cpu })
        log(`run ${run + 1}/${runs} ${c.row.padEnd(5)} ${c.name.padEnd(12)} ${Math.round(r.reqPerSec).toString().padStart(7)} req/s  p50 ${(r.p50Us / 1000).toFixed(2)} ms  p99 ${(r.p99Us / 1000).toFixed(2)} ms  proxy CPU ${cpu === null ? '—' : `${cpu.toFixed(0)} µs/req`}${r.errors > 0 ? `  ERRORS ${r.errors}` : ''}`)
      }
    }
    // h2load counts HTTP statuses only; a gRPC error is HTTP 200. Every contender must still answer OK after the load.
    for (const [name, t] of Object.entries(targets)) await checkGrpc(t, small, name)
    const summary = contenders.map((c) => {
      const s = samples.get(c)!
      const cpu = s.map(x => x.proxyCpuUsPerReq).filter((v): v is number => v !== null)
      return { row: c.row, name: c.name, label: c.label, reqPerSec: median(s.map(x => x.reqPerSec)), reqPerSecRange: minMax(s.map(x => x.reqPerSec)), p50Ms: median(s.map(x => x.p50Us)) / 1000, p99Ms: median(s.map(x => x.p99Us)) / 1000, proxyCpuUsPerReq: cpu.length > 0 ? median(cpu) : null, errors: s.reduce((n, x) => n + x.errors, 0) }
    })
    const find = (row: string, name: string): typeof summary[number] => summary.find(s => s.row === row && s.name === name)!
    const vsNginx = find('small', 'gateway').reqPerSec / find('small', 'nginx').reqPerSec
    const grpcCpu = find('small', 'gateway').proxyCpuUsPerReq!
    const restCpu = find('small', 'gateway-rest').proxyCpuUsPerReq!
    const aims = [
      { what: 'gateway gRPC / nginx grpc_pass req/s, small', value: vsNginx, goal: '>= 0.5', met: vsNginx >= 0.5 },
      { what: 'gateway CPU per request, gRPC / REST, small', value: grpcCpu / restCpu, goal: '< 1', met: grpcCpu < restCpu }
    ]
    const loadAtEnd = loadavg()
    const versions = { nginx: await versionOf(tools.nginx, ['-v']), h2load: await versionOf('h2load', ['--version']) }
    const md = [
      '# bench:grpc', '',
      `Unary ModelInfer through the gateway's gRPC listener vs direct and nginx grpc_pass (${versions.nginx}); load by ${versions.h2load}, ${connections} connections, one call in flight each, ${runs} runs x ${durationS} s, medians. ${pin ? 'h2load on core 0; origin and proxies on core 1.' : 'No CPU pinning.'}`,
      `Load average (1/5/15 min) at start ${loadAtStart.map(v => v.toFixed(2)).join(' ')}, at end ${loadAtEnd.map(v => v.toFixed(2)).join(' ')}: ${loadAtStart[0]! > 1.5 ? 'a busy, shared machine; figures are noisy.' : 'a quiet machine.'}`, '',
      '| row | contender | req/s (min–max) | p50 ms | p99 ms | proxy CPU µs/req | errors |', '|---|---|---|---|---|---|---|',
      ...summary.map(s => `| ${s.row} | ${s.label} | ${Math.round(s.reqPerSec)} (${Math.round(s.reqPerSecRange[0])}–${Math.round(s.reqPerSecRange[1])}) | ${s.p50Ms.toFixed(2)} | ${s.p99Ms.toFixed(2)} | ${s.proxyCpuUsPerReq === null ? '—' : s.proxyCpuUsPerReq.toFixed(0)} | ${s.errors} |`), '',
      '| aim | value | goal | met |', '|---|---|---|---|',
      ...aims.map(a => `| ${a.what} | ${a.value.toFixed(2)} | ${a.goal} | ${a.met ? 'yes' : 'no'} |`), ''
    ].join('\n')
    await mkdir(resultsDir, { recursive: true })
    await writeFile(join(resultsDir, 'grpc-latest.md'), md)
    await writeFile(join(resultsDir, 'grpc-latest.json'), `${JSON.stringify({ at: new Date().toISOString(), loadAtStart, loadAtEnd, settings: { connections, durationS, runs, warmupS, pinned: pin }, versions, summary, aims }, null, 2)}\n`)
    log(`\n${md}`)
    return 0
  } finally {
    await stopAll()
    await rm(tmp, { recursive: true, force: true })
  }
}

main().then((code) => { process.exit(code) }, (err: unknown) => {
  process.stderr.write(`bench:grpc: ${(err as Error).stack ?? String(err)}\n`)
  killAllNow()
  process.exit(1)
})
