// Four simulated weeks (a week here is WEEK_MS of real time; the monitor's
// --window and --now work the same at any scale): v1's inputs hold steady,
// v2's drift (larger amounts and distances every week) while the world its
// labels come from changes. `model-gateway monitor` over the last week against
// each version's first one flags input drift and accuracy decay for v2 and
// nothing for v1, stores the rows in ClickHouse, and publishes gauges that
// promtool accepts and a real Pushgateway serves (both installed by the test
// services, Debian packages).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { which } from '../../scripts/services/install.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { closedPort } from '../support/ports.js'
import { seeded } from '../support/seeded-random.js'
import { dropIsolated, isolated, startSink, type Isolated, type SinkProcess } from './pipeline-harness.js'
import { chArgs, cli, features, inferBody, outcomeIds, outcomesConfig, postOutcomes, truthModel, waitForLedger } from './outcomes-harness.js'

const WEEK_MS = 8_000
const WEEKS = 4
const FEATURES = 'features=amount,account_age_days,tx_last_24h,distance_km'
let models: ModelProcess[] = []
let gw: GatewayProcess | undefined
let sink: SinkProcess | undefined
let iso: Isolated | undefined
let pushgateway: ChildProcess | undefined
let dir = ''

beforeAll(async () => {
  models = [await startModel({ version: 'v1' }), await startModel({ version: 'v2', extraArgs: ['--weights', 'v1'] })]
  iso = await isolated('omon')
  sink = await startSink(iso)
  gw = await startGatewayProcess(outcomesConfig({ iso, versions: { v1: [models[0]!.url], v2: [models[1]!.url] }, sampling: { rate: 1, captureBodies: true } }))
  dir = await mkdtemp(join(tmpdir(), 'monitor-'))
})
afterAll(async () => {
  pushgateway?.kill('SIGTERM')
  await gw?.stop()
  await sink?.stop()
  await Promise.allSettled(models.map(m => m.stop()))
  await dropIsolated(iso)
  if (dir !== '') await rm(dir, { recursive: true, force: true })
})

interface Answered { id: string, label: number, at: number }

/**
 * Requests to `version` until the last week ends; a request's week is when it
 * is sent. Drifting: amounts and distances grow 60% a week, and a growing
 * share of labels (25% a week) no longer follows the model's world.
 */
async function weeks (t0: number, version: string, drifting: boolean, seed: number): Promise<Answered[]> {
  const p = truthModel('v1')
  const pool = new Pool(gw!.url, { connections: 3 })
  const out: Answered[] = []
  let n = 0
  const worker = async (): Promise<void> => {
    for (;;) {
      const week = Math.floor((Date.now() - t0) / WEEK_MS)
      if (week >= WEEKS) return
      const i = n++
      const f = features(i, drifting ? 0.6 * week : 0)
      const id = `${version}-${i}`
      const res = await pool.request({ path: '/v2/models/fraud/infer', method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id, 'x-model-version': version }, body: inferBody(f) })
      await res.body.text()
      if (res.statusCode !== 200) continue
      const rnd = seeded(seed + i)
      const label = drifting && rnd() < 0.25 * week ? (rnd() < 0.5 ? 1 : 0) : (rnd() < p(f) ? 1 : 0)
      out.push({ id, label, at: Date.now() + 500 })
    }
  }
  await Promise.all([worker(), worker(), worker()])
  await pool.close()
  return out
}

describe('model-gateway monitor over simulated weeks', () => {
  it('flags input drift and accuracy decay for the version whose inputs drift, and nothing for the steady one', async () => {
    // Week 0 starts on a whole second, so the first week on the ledger is exactly the reference.
    const t0 = Math.ceil(Date.now() / 1000) * 1000 + 1000
    await new Promise(resolve => setTimeout(resolve, t0 - Date.now()))
    const [steady, drifting] = await Promise.all([weeks(t0, 'v1', false, 100), weeks(t0, 'v2', true, 200_000)])
    for (let k = 0; k < drifting.length + steady.length; k += 5_000) {
      const batch = [...steady, ...drifting].slice(k, k + 5_000)
      expect((await postOutcomes(gw!.url, batch.map(a => ({ id: a.id, label: a.label, at: Math.round(a.at) })))).status).toBe(200)
    }
    await waitForLedger(iso!, steady.length + drifting.length)
    await eventually(async () => { expect(await outcomeIds(iso!, 'label')).toBe(steady.length + drifting.length) }, { timeoutMs: 60_000, intervalMs: 500 })

    const textfile = join(dir, 'monitor.prom')
    const port = await closedPort()
    pushgateway = spawn(which('prometheus-pushgateway') ?? 'prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' })
    await eventually(async () => { expect((await fetch(`http://127.0.0.1:${port}/-/ready`)).status).toBe(200) }, { timeoutMs: 15_000, intervalMs: 200 })
    const now = t0 + WEEKS * WEEK_MS
    const r = await cli(['monitor', '--window', `${WEEK_MS / 1000}s`, '--now', String(now), '--feature-names', FEATURES, '--textfile', textfile, '--pushgateway', `http://127.0.0.1:${port}`, '--json', ...chArgs(iso!)])
    expect(r.code, r.stderr).toBe(0)
    const rows = JSON.parse(r.stdout) as Array<{ version: string, stale: boolean, reasons: string[], metric: string, value: number, referenceValue: number, inputPsi: Record<string, number>, outputPsi: number, matchRate: number, reference: { from: number } }>
    const v1 = rows.find(x => x.version === 'v1')!
    const v2 = rows.find(x => x.version === 'v2')!
    expect(rows.map(x => x.version).sort()).toEqual(['v1', 'v2'])

    expect(v2.stale).toBe(true)
    expect(v2.reasons.join('\n')).toMatch(/^input drift: .*amount PSI/m)
    expect(v2.reasons.join('\n')).toMatch(/distance_km PSI/)
    expect(v2.reasons.join('\n')).toMatch(/^accuracy decayed/m)
    expect(v2.inputPsi.amount).toBeGreaterThan(0.2)
    expect(v2.inputPsi.account_age_days).toBeLessThan(0.2)
    expect(v2.value).toBeLessThan(v2.referenceValue - 0.05)

    expect(v1.stale).toBe(false)
    expect(v1.reasons.filter(x => !x.startsWith('('))).toEqual([])
    expect(Math.max(...Object.values(v1.inputPsi))).toBeLessThan(0.2)
    expect(Object.keys(v1.inputPsi).sort()).toEqual(['account_age_days', 'amount', 'distance_km', 'tx_last_24h'])
    expect(v1.outputPsi).toBeLessThan(0.2)
    expect(Math.abs(v1.value - v1.referenceValue)).toBeLessThan(0.05)
    expect(v1.matchRate).toBe(1)
    expect(v1.reference.from).toBeGreaterThanOrEqual(t0)
    expect(v1.reference.from).toBeLessThan(t0 + 1000)

    const stored = await iso!.ch.select<{ version: string, stale: number, metric: string }>(`SELECT version, stale, metric FROM ${iso!.db}.outcome_monitor ORDER BY version`)
    expect(stored.map(x => [x.version, Number(x.stale), x.metric])).toEqual([['v1', 0, 'accuracy'], ['v2', 1, 'accuracy']])

    const text = await readFile(textfile, 'utf8')
    expect(text).toContain('model_gateway_monitor_stale{model="fraud",version="v1"} 0')
    expect(text).toContain('model_gateway_monitor_stale{model="fraud",version="v2"} 1')
    const check = spawnSync(which('promtool') ?? 'promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(`${check.stdout}${check.stderr}`).toBe('')
    expect(check.status).toBe(0)
    const served = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    expect(served).toMatch(/model_gateway_monitor_stale\{instance="",job="model_gateway_monitor",model="fraud",version="v2"\} 1/)
  }, 240_000)
})
