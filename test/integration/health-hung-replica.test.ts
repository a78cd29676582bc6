import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { startModel, startHungServer, type ModelProcess, type HungServer } from '../support/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'

// A replica that stops answering (accepts connections, never replies) must be
// taken out of rotation by the active health checks within one interval plus
// the probe timeout, and get no traffic afterwards.

const TOKEN = 'health-read-token-0123456789'
const INTERVAL_MS = 1_000
const TIMEOUT_MS = 300
/** Event-loop and process scheduling on a loaded two-core machine. */
const SLACK_MS = 700
const BODY = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [620, 200, 7, 265] }] })

interface ReplicaRow { replica: string, healthy: boolean, lastCheck: { ok: boolean, error: string | null, latencyMs: number } | null }

async function health (gw: GatewayProcess): Promise<ReplicaRow[]> {
  const res = await fetch(`${gw.adminUrl!}/admin/health`, { headers: { authorization: `Bearer ${TOKEN}` } })
  expect(res.status).toBe(200)
  return ((await res.json()) as { replicas: ReplicaRow[] }).replicas
}

async function waitFor (gw: GatewayProcess, url: string, pred: (r: ReplicaRow) => boolean, limitMs: number): Promise<number> {
  const start = performance.now()
  for (;;) {
    const row = (await health(gw)).find(r => r.replica === url)
    if (row !== undefined && pred(row)) return performance.now() - start
    if (performance.now() - start > limitMs) throw new Error(`condition not met within ${limitMs} ms; last: ${JSON.stringify(row)}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

function config (replicas: string[]): object {
  return {
    admin: { tokens: [{ name: 'dash', token: TOKEN, role: 'read' }] },
    models: {
      fraud: {
        versions: { v1: { replicas } },
        release: { strategy: 'canary', stable: 'v1' },
        // A request sent to the stopped replica would time out: a 504 shows up in the client counts.
        timeouts: { requestMs: 1_500 },
        healthCheck: { intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS, jitter: 0.1, unhealthyThreshold: 1, healthyThreshold: 1 },
        outlierDetection: { enabled: false }
      }
    }
  }
}

async function sendMany (gw: GatewayProcess, n: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    const res = await request(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', body: BODY, headers: { 'content-type': 'application/json' }, headersTimeout: 5_000 })
    await res.body.dump()
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
  }
  return statuses
}

describe('a replica that stops answering', () => {
  let good: ModelProcess
  let other: ModelProcess
  let hung: HungServer
  const gateways: GatewayProcess[] = []

  beforeAll(async () => {
    [good, other, hung] = await Promise.all([startModel({ version: 'v1' }), startModel({ version: 'v1' }), startHungServer()])
  })
  afterEach(async () => {
    other.process.kill('SIGCONT')
    await Promise.all(gateways.splice(0).map(g => g.stop()))
  })
  afterAll(async () => {
    await Promise.all([good?.stop(), other?.stop(), hung?.close()])
  })

  it('a hung replica configured from the start is out of rotation within one interval plus the timeout, and gets no traffic', async () => {
    const gw = await startGatewayProcess(config([good.url, hung.url]))
    gateways.push(gw)
    // The first probe runs at start; it must fail by its timeout.
    const took = await waitFor(gw, hung.url, r => !r.healthy, INTERVAL_MS + TIMEOUT_MS + SLACK_MS)
    const row = (await health(gw)).find(r => r.replica === hung.url)!
    expect(row.lastCheck).toMatchObject({ ok: false, error: 'timeout' })
    expect(row.lastCheck!.latencyMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5)
    console.log(`hung replica (from start) marked unhealthy ${took.toFixed(0)} ms after the gateway was ready`)

    const statuses = await sendMany(gw, 60)
    expect(Object.fromEntries(statuses)).toEqual({ 200: 60 })
  })

  it('a serving replica that freezes (SIGSTOP) is marked unhealthy within one interval plus the timeout, then gets no traffic', async () => {
    const gw = await startGatewayProcess(config([good.url, other.url]))
    gateways.push(gw)
    await waitFor(gw, other.url, r => r.healthy && r.lastCheck?.ok === true, 5_000)
    expect(Object.fromEntries(await sendMany(gw, 20))).toEqual({ 200: 20 })

    other.process.kill('SIGSTOP')
    const took = await waitFor(gw, other.url, r => !r.healthy, INTERVAL_MS + TIMEOUT_MS + SLACK_MS)
    console.log(`frozen replica marked unhealthy ${took.toFixed(0)} ms after SIGSTOP (interval ${INTERVAL_MS} ms, timeout ${TIMEOUT_MS} ms)`)
    expect(Object.fromEntries(await sendMany(gw, 60))).toEqual({ 200: 60 })

    // It answers again: the next passing probe brings it back.
    other.process.kill('SIGCONT')
    const back = await waitFor(gw, other.url, r => r.healthy, INTERVAL_MS + TIMEOUT_MS + SLACK_MS)
    console.log(`thawed replica healthy again ${back.toFixed(0)} ms after SIGCONT`)
  })
})
