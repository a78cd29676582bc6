/**
 * Console benchmark: what the console costs the gateway, and whether its
 * model page keeps up, under CONSOLE_RATE (5,000) requests per second.
 *
 * Arms (CONSOLE_ARMS, default off,browser,polls,on), in turn CONSOLE_ROUNDS (3)
 * times, each on a fresh gateway with the same fraud model (v1 stable, v3
 * canary in a rollout with long steps):
 *   off:     `admin.console: false` (no console routes, no per-version series);
 *   browser: the same gateway as off, and a headless Chromium on the model page
 *            of a second gateway with the console on (on core 0, CONSOLE_TWIN_RATE
 *            (100) requests a second, so its charts move as the on arm's do): the
 *            browser's load on the machine without its polls reaching the
 *            measured gateway, so on/browser is the console's own cost;
 *   unwatched (only when CONSOLE_ARMS names it): the console on, no page open;
 *   polls:   the console on, no browser; this process replays the model
 *            page's calls at the page's pace with a browser's headers: the
 *            console's own work without a browser rendering on the gateway's host;
 *   polls-twin (only when CONSOLE_ARMS names it): the measured gateway as in
 *            off, the same replay against the twin (as in browser): the
 *            replay's load on this process and core 0 without its calls;
 *   on:      the console on, and a headless Chromium signed in on the model page,
 *            which reads the split, the rollout and the series every 0.8 s and the
 *            journal, shadow and audit every 5 s.
 * Layout (2 cores or more, with taskset): the gateway alone on core 1; this
 * process (autocannon), the models and Chromium on core 0, as an operator's
 * browser runs off the gateway's host: a browser rendering charts on the
 * gateway's core would be counted as the console's cost.
 * Load: autocannon at a fixed overall rate for CONSOLE_DURATION_S (15) seconds
 * after a warm-up. Measured: the gateway process's CPU time (/proc) per answered
 * request, and in the on arm the page's updates per second and the longest gap
 * between two updates. Results: medians over rounds, the ratio on/off, and the
 * machine's load average (the machine may be shared). CONSOLE_CPU_PROF=DIR
 * writes each gateway's V8 CPU profile under DIR/<arm>.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, getPriority, loadavg, setPriority, tmpdir } from 'node:os'
import { promisify } from 'node:util'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import { readyLine, start, stop, stopAll, type Child } from './lib/child.js'
import { intEnv } from './lib/env.js'
import { clockTicksPerSecond, treeCpuTicks } from './lib/proc-cpu.js'
import { median } from './lib/stats.js'
import { INFER_BODY, INFER_PATH } from './lib/payload.js'
import { startModel, type ModelProcess } from '../scripts/processes/model-process.js'
import { launchBrowser, signIn, type Browser } from '../scripts/processes/browser.js'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const gatewayMain = join(repo, 'dist', 'gateway', 'main.js')
const TOKEN = 'console-bench-token-0123456789'
const RATE = intEnv('CONSOLE_RATE', 5000)
const ROUNDS = intEnv('CONSOLE_ROUNDS', 3)
const DURATION_S = intEnv('CONSOLE_DURATION_S', 15)
const WARMUP_S = intEnv('CONSOLE_WARMUP_S', 5)
const CONNECTIONS = intEnv('CONSOLE_CONNECTIONS', 32)

/** Requests per second to the browser arm's twin, so that its page draws moving charts as the on arm's does. */
const TWIN_RATE = intEnv('CONSOLE_TWIN_RATE', 100)

type Arm = 'off' | 'browser' | 'unwatched' | 'polls' | 'polls-twin' | 'on'
const ALL_ARMS: readonly Arm[] = ['off', 'browser', 'unwatched', 'polls', 'polls-twin', 'on']
/** CONSOLE_ARMS: a comma-separated subset, for example `off,on`. */
const ARMS: readonly Arm[] = (process.env.CONSOLE_ARMS ?? 'off,browser,polls,on').split(',').map(a => {
  if (!(ALL_ARMS as readonly string[]).includes(a)) throw new Error(`CONSOLE_ARMS: unknown arm ${a} (arms: ${ALL_ARMS.join(', ')})`)
  return a as Arm
})
interface RoundResult { arm: Arm, requests: number, reqPerSec: number, cpuUsPerReq: number, errors: number, pageUpdatesPerS: number | null, maxGapMs: number | null }

const log = (s: string): void => { process.stderr.write(`[bench:console] ${s}\n`) }

/** Pins this process (and what it spawns later) to core 0; returns the gateway's core, or undefined where pinning is not possible. */
async function pinLayout (): Promise<string | undefined> {
  if (availableParallelism() < 2) return undefined
  try {
    await promisify(execFile)('taskset', ['-p', '-c', '0', String(process.pid)])
    return '1'
  } catch {
    return undefined
  }
}

let gatewayCores: string | undefined

async function startGateway (dir: string, name: string, consoleOn: boolean, cores: string | undefined, stable: ModelProcess, canary: ModelProcess): Promise<{ child: Child, url: string, adminUrl: string }> {
  const config = {
    admin: { tokens: [{ name: 'bench', token: TOKEN, role: 'admin' }], console: consoleOn },
    rollouts: { tickMs: 500 },
    models: {
      fraud: {
        sticky: { header: 'x-user-id' },
        versions: { v1: { replicas: [stable.url] }, v3: { replicas: [canary.url] } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { intervalMs: 5000 }
      }
    }
  }
  const file = join(dir, `gateway-${name}.json`)
  await writeFile(file, JSON.stringify(config))
  // CONSOLE_CPU_PROF=DIR: each gateway writes a V8 CPU profile under DIR/<arm> when it stops.
  const profDir = process.env.CONSOLE_CPU_PROF
  const prof = profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(profDir, name)}`]
  const child = start(`gateway-${name}`, process.execPath, [...prof, gatewayMain, '--config', file, '--port', '0', '--admin-port', '0'], cores, { ...process.env, LOG_LEVEL: 'warn' })
  const ready = await readyLine(child) as { port: number, adminPort: number }
  const adminUrl = `http://127.0.0.1:${ready.adminPort}`
  // A rollout in its first, long step: the page shows (and reads) all it can.
  const res = await fetch(`${adminUrl}/admin/models/fraud/rollout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ version: 'v3', plan: { steps: [{ weight: '10%', bake: '1h' }], interval: '2s', checks: { errors: {}, latency: {}, outputs: {} } } })
  })
  if (res.status !== 201) throw new Error(`rollout start: ${res.status} ${await res.text()}`)
  return { child, url: `http://127.0.0.1:${ready.port}`, adminUrl }
}

function load (url: string, durationS: number, rate = RATE, connections = CONNECTIONS): Promise<autocannon.Result> {
  return autocannon({
    url: url + INFER_PATH,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: INFER_BODY,
    connections,
    overallRate: rate,
    duration: durationS
  })
}

/** The model page's calls (console/src/model-page.tsx) at its pace, with a browser's headers: live every 0.8 s, the rest every 5 s. Returns the live cycles' finish times. */
function replayPage (adminUrl: string, durationS: number): Promise<number[]> {
  const headers = { authorization: `Bearer ${TOKEN}`, accept: '*/*', 'accept-encoding': 'gzip, deflate, br', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 bench' }
  const base = `${adminUrl}/admin/models/fraud`
  const get = async (path: string): Promise<void> => { await (await fetch(path, { headers })).arrayBuffer() }
  const end = performance.now() + durationS * 1000
  const times: number[] = []
  const every = async (ms: number, paths: string[], done?: number[]): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now()
      await Promise.all(paths.map(get))
      done?.push(performance.now())
      await sleep(Math.max(0, ms - (performance.now() - t)))
    }
  }
  return Promise.all([
    every(800, [base, `${base}/rollout`, `${base}/series?seconds=300&step=5`], times),
    every(5000, [`${base}/rollout/explain?limit=50`, `${base}/shadow`, `${adminUrl}/admin/audit?limit=100`])
  ]).then(() => times)
}

/** Timestamps of every change of the model page's update counter, recorded in the page. */
async function watchUpdates (b: Browser): Promise<() => Promise<number[]>> {
  await b.page.evaluate(`(() => {
    window.updateTimes = []
    const el = document.querySelector('[data-testid=model-page]')
    new MutationObserver(() => { window.updateTimes.push(performance.now()) }).observe(el, { attributes: true, attributeFilter: ['data-updates'] })
  })()`)
  return async () => await b.page.evaluate('window.updateTimes.splice(0)') as number[]
}

/**
 * Chromium at nice 19 (its processes inherit it from this thread): the page's
 * rendering then waits for the load generator and the models on core 0, as it
 * would on an operator's own machine, instead of slowing the load's pace, which
 * changes the gateway's CPU per request by itself (the browser arm measures
 * what is left of that).
 */
async function launchLowPriorityBrowser (): Promise<Browser> {
  const before = getPriority()
  setPriority(19)
  try {
    return await launchBrowser()
  } finally {
    setPriority(before)
  }
}

async function round (dir: string, arm: Arm, stable: ModelProcess, canary: ModelProcess, ticksPerS: number): Promise<RoundResult> {
  const gw = await startGateway(dir, arm, arm !== 'off' && arm !== 'browser' && arm !== 'polls-twin', gatewayCores, stable, canary)
  // The browser and polls-twin arms read a twin on the load's core, never the measured gateway.
  const twin = arm === 'browser' || arm === 'polls-twin' ? await startGateway(dir, 'twin', true, gatewayCores === undefined ? undefined : '0', stable, canary) : undefined
  let browser: Browser | undefined
  const trickle = (s: number): Promise<unknown> => twin === undefined ? Promise.resolve() : load(twin.url, s, TWIN_RATE, 2)
  try {
    await Promise.all([load(gw.url, WARMUP_S), trickle(WARMUP_S)])
    let updates: (() => Promise<number[]>) | undefined
    if (arm === 'on' || arm === 'browser') {
      const adminUrl = (twin ?? gw).adminUrl
      browser = await launchLowPriorityBrowser()
      await signIn(browser.page, `${adminUrl}/console/`, TOKEN)
      await browser.page.goto(`${adminUrl}/console/#/models/fraud`)
      await browser.page.getByTestId('traffic').waitFor({ timeout: 30_000 })
      updates = await watchUpdates(browser)
    }
    const cpu0 = await treeCpuTicks(gw.child.pid)
    const t0 = performance.now()
    const replayed = arm === 'polls' ? replayPage(gw.adminUrl, DURATION_S) : arm === 'polls-twin' ? replayPage(twin!.adminUrl, DURATION_S) : undefined
    const [r] = await Promise.all([load(gw.url, DURATION_S), trickle(DURATION_S)])
    const cpu1 = await treeCpuTicks(gw.child.pid)
    const wallS = (performance.now() - t0) / 1000
    const times = updates !== undefined ? await updates() : replayed !== undefined ? await replayed : null
    const requests = r.requests.total
    const gaps = times === null ? [] : times.slice(1).map((t, i) => t - times[i]!)
    return {
      arm,
      requests,
      reqPerSec: requests / wallS,
      cpuUsPerReq: ((cpu1 - cpu0) / ticksPerS) * 1e6 / requests,
      errors: r.errors + r.timeouts + r.non2xx,
      pageUpdatesPerS: times === null ? null : times.length / wallS,
      maxGapMs: times === null ? null : Math.max(...gaps)
    }
  } finally {
    await browser?.close()
    await stop(gw.child)
    if (twin !== undefined) await stop(twin.child)
  }
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-console-'))
  const ticksPerS = await clockTicksPerSecond()
  const models: ModelProcess[] = []
  const loadBefore = loadavg()
  const results: RoundResult[] = []
  gatewayCores = await pinLayout()
  const layout = gatewayCores === undefined ? 'no CPU pinning' : 'gateway on core 1; load generator, models and Chromium (nice 19) on core 0 (taskset)'
  log(layout)
  try {
    models.push(await startModel({ version: 'v1' }), await startModel({ version: 'v3' }))
    for (let i = 0; i < ROUNDS; i++) {
      for (const arm of i % 2 === 0 ? ARMS : [...ARMS].reverse()) {
        const r = await round(dir, arm, models[0]!, models[1]!, ticksPerS)
        results.push(r)
        log(`round ${i + 1} ${arm}: ${r.reqPerSec.toFixed(0)} req/s, ${r.cpuUsPerReq.toFixed(1)} µs CPU/request, ${r.errors} errors` +
          (r.pageUpdatesPerS === null ? '' : `, page ${r.pageUpdatesPerS.toFixed(2)} updates/s, longest gap ${r.maxGapMs!.toFixed(0)} ms`))
        await sleep(500)
      }
    }
  } finally {
    await stopAll()
    await Promise.allSettled(models.map(m => m.stop()))
    await rm(dir, { recursive: true, force: true })
  }
  const of = (arm: Arm, f: (r: RoundResult) => number | null): number => median(results.filter(r => r.arm === arm).map(f).filter((x): x is number => x !== null))
  const summary = {
    rate: RATE,
    rounds: ROUNDS,
    durationS: DURATION_S,
    layout,
    loadAverage: { before: loadBefore.map(x => Number(x.toFixed(2))), after: loadavg().map(x => Number(x.toFixed(2))) },
    off: { reqPerSec: of('off', r => r.reqPerSec), cpuUsPerReq: of('off', r => r.cpuUsPerReq) },
    browser: { reqPerSec: of('browser', r => r.reqPerSec), cpuUsPerReq: of('browser', r => r.cpuUsPerReq) },
    unwatched: { reqPerSec: of('unwatched', r => r.reqPerSec), cpuUsPerReq: of('unwatched', r => r.cpuUsPerReq) },
    polls: { reqPerSec: of('polls', r => r.reqPerSec), cpuUsPerReq: of('polls', r => r.cpuUsPerReq), updatesPerS: of('polls', r => r.pageUpdatesPerS) },
    pollsTwin: { reqPerSec: of('polls-twin', r => r.reqPerSec), cpuUsPerReq: of('polls-twin', r => r.cpuUsPerReq) },
    on: { reqPerSec: of('on', r => r.reqPerSec), cpuUsPerReq: of('on', r => r.cpuUsPerReq), pageUpdatesPerS: of('on', r => r.pageUpdatesPerS), maxGapMs: Math.max(...results.filter(r => r.arm === 'on').map(r => r.maxGapMs ?? 0)) },
    cpuRatioOnOff: of('on', r => r.cpuUsPerReq) / of('off', r => r.cpuUsPerReq),
    cpuRatioOnBrowser: of('on', r => r.cpuUsPerReq) / of('browser', r => r.cpuUsPerReq),
    cpuRatioPollsOff: of('polls', r => r.cpuUsPerReq) / of('off', r => r.cpuUsPerReq),
    cpuRatioPollsPollsTwin: of('polls', r => r.cpuUsPerReq) / of('polls-twin', r => r.cpuUsPerReq),
    runs: results
  }
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench:console: ${(err as Error).stack ?? String(err)}\n`)
  await stopAll()
  process.exit(1)
})
