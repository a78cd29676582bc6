// A shadow version that disagrees on known inputs: `model-gateway report shadow`
// and the analyst queries show exactly the share of requests it agrees on, and a
// redelivered pair does not change the figures.
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Pool, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { CLI, REPO, dropIsolated, gatewayConfig, isolated, startSink, waitFor, type Isolated, type SinkProcess } from './pipeline-harness.js'

const TOKEN = 'pipeline-test-token-0123456789'
const N = 100
/** Requests with i % 5 < 2 have amount 100 (the shadow agrees); the rest 5000 (it answers 1 - p). */
const AGREE = 40

let iso: Isolated
let sink: SinkProcess
let gw: GatewayProcess
const models: ModelProcess[] = []

function body (i: number): string {
  const amount = i % 5 < 2 ? 100 : 5000
  return JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [amount, 200, 3, 40] }] })
}

async function pairs (): Promise<number> {
  const [r] = await iso.ch.select<{ n: string }>(`SELECT count() AS n FROM ${iso.db}.shadow_pairs FINAL`)
  return Number(r!.n)
}

function report (): { status: number | null, stdout: string, stderr: string } {
  return spawnSync(process.execPath, [CLI, 'report', 'shadow', 'fraud', '--since', '1h', '--clickhouse', iso.env.CLICKHOUSE_URL, '--database', iso.db], { encoding: 'utf8' })
}

beforeAll(async () => {
  iso = await isolated('shadowrep')
  sink = await startSink(iso)
  models.push(await startModel({ version: 'v1' }), await startModel({ version: 'v3', extraArgs: ['--weights', 'v1', '--flip-above-amount', '1000'] }))
  gw = await startGatewayProcess(gatewayConfig({ iso, v1: [models[0]!.url], v2: [models[1]!.url], canaryWeight: 0, sampling: { rate: 0 } }))
  const res = await request(`${gw.adminUrl}/admin/models/fraud/shadow`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ version: 'v2', weight: 10_000 }) })
  expect(res.statusCode).toBe(200)
  await res.body.text()
  const pool = new Pool(gw.url, { connections: 4 })
  for (let i = 0; i < N; i++) {
    const r = await pool.request({ path: '/v2/models/fraud/infer', method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': `rep-${i}` }, body: body(i) })
    await r.body.text()
    expect(r.statusCode).toBe(200)
  }
  await pool.close()
  await waitFor('all pairs', pairs, n => n >= N)
  // A redelivered pair (the sink stored a message twice): the same row again.
  await iso.ch.command(`INSERT INTO ${iso.db}.shadow_pairs SELECT * FROM ${iso.db}.shadow_pairs WHERE request_id = 'rep-0'`)
}, 120_000)

afterAll(async () => {
  await gw?.stop()
  await sink?.stop()
  await Promise.all(models.map(m => m.stop()))
  await dropIsolated(iso)
})

describe('shadow report', () => {
  it('report shadow prints the agreement rate the known inputs give, exact and within tolerance', () => {
    const r = report()
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(`shadow version v2: ${N} mirrored requests, ${N} answered by both`)
    expect(r.stdout).toMatch(new RegExp(`agreement\\s+exact ${AGREE}\\.00%\\s+within 0\\.000001 ${AGREE}\\.00%`))
    expect(r.stdout).toMatch(new RegExp(`=0: ${AGREE} .* >1e-1: ${N - AGREE}  not comparable: 0`))
    expect(r.stdout).toContain('shadow errors 0')
    expect(r.stdout).toMatch(/p50\s+\d+\.\d\d\s+\d+\.\d\d/)
  })

  it('the analyst queries give the same agreement and difference bins', async () => {
    const text = await readFile(join(REPO, 'config', 'clickhouse', 'queries.sql'), 'utf8')
    const q = (name: string): string => {
      const block = text.split(/^-- name: /m).find(b => b.startsWith(`${name}\n`))!
      return block.split('\n').slice(1).filter(l => !l.startsWith('--')).join('\n').trim().replace(/;$/, '').replaceAll('model_gateway.', `${iso.db}.`)
    }
    const params = { model: 'fraud', since: Math.floor(Date.now() / 1000) - 3600 }
    const agreement = await iso.ch.select<Record<string, unknown>>(q('shadow_agreement'), params)
    expect(agreement.map(r => [r.shadow_version, Number(r.pairs), Number(r.both_answered), r.exact_pct, r.within_tolerance_pct])).toEqual([['v2', N, N, AGREE, AGREE]])
    const bins = await iso.ch.select<Record<string, unknown>>(q('shadow_difference_distribution'), params)
    expect(bins.map(r => [r.diff_bin, Number(r.pairs)])).toEqual([['0', AGREE], ['> 1e-1', N - AGREE]])
    expect(await iso.ch.select(q('shadow_errors'), params)).toEqual([])
  })

  it('the instance\'s own shadow summary (no ClickHouse needed) gives the same agreement and bins', async () => {
    const res = await request(`${gw.adminUrl}/admin/models/fraud/shadow`, { headers: { authorization: `Bearer ${TOKEN}` } })
    const json = await res.body.json() as { shadow: { version: string, weight: number }, summary: Record<string, unknown> }
    expect(res.statusCode).toBe(200)
    expect(json.shadow).toMatchObject({ version: 'v2', weight: 10_000 })
    expect(json.summary).toMatchObject({ model: 'fraud', shadowVersion: 'v2', pairs: N, bothAnswered: N, exactAgreement: AGREE / N, toleranceAgreement: AGREE / N, shadowErrors: 0, diffBins: [AGREE, 0, 0, 0, 0, N - AGREE, 0] })
  })
})
