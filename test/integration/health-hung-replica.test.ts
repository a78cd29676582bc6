import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startModel, startHungServer, type ModelProcess, type HungServer } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { runLoad } from '../support/load.js'

// A replica that stops answering (accepts connections, never replies) must be
// taken out of rotation by the active health checks within one interval plus
// the probe timeout, and get no traffic afterwards.

const TOKEN = 'health-read-token-0123456789'
const INTERVAL_MS = 1_000
const TIMEOUT_MS = 300
/** Event-loop and process scheduling on a loaded two-core machine. */
const SLACK_MS = 700

interface ReplicaRow { replica: string, healthy: boolean, lastCheck: { ok: boolean, error: string | null, latencyMs: number } | null }

async function health (gw: GatewayProcess): Promise<ReplicaRow[]> {
  const res = await fetch(`${gw.adminUrl!}/admin/health`, { headers: { authorization: `Bearer ${TOKEN}` } })
  expect(res.status).toBe(200)
  return ((await res.json()) as { replicas: ReplicaRow[] }).replicas
}

/** Polls /admin/health until the replica's row passes `pred`; returns how long that took. */
async function msUntil (gw: GatewayProcess, url: string, pred: (r: ReplicaRow) => boolean, limitMs: number): Promise<number> {
  const start = performance.now()
  await eventually(async () => {
    const row = (await health(gw)).find(r => r.replica === url)
    expect(row !== undefined && pred(row), `replica row ${JSON.stringify(row)}`).toBe(true)
  }, { timeoutMs: limitMs, intervalMs: 25 })
  return performance.now() - start
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

/** `n` requests one at a time; the answers by status. */
async function sendMany (gw: GatewayProcess, n: number): Promise<Record<string, number>> {
  const r = await runLoad({ url: gw.url, concurrency: 1, maxRequests: n, maxMs: 30_000, headersTimeoutMs: 5_000 })
  expect(r.failures.slice(0, 3)).toEqual([])
  return r.statuses
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
    const took = await msUntil(gw, hung.url, r => !r.healthy, INTERVAL_MS + TIMEOUT_MS + SLACK_MS)
    const row = (await health(gw)).find(r => r.replica === hung.url)!
    expect(row.lastCheck).toMatchObject({ ok: false, error: 'timeout' })
    expect(row.lastCheck!.latencyMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5)
    console.log(`hung replica (from start) marked unhealthy ${took.toFixed(0)} ms after the gateway was ready`)

    // On a loaded machine the first probe of the good replica can time out too; its next one passes.
    await msUntil(gw, good.url, r => r.healthy, INTERVAL_MS + TIMEOUT_MS + SLACK_MS)
    expect(await sendMany(gw, 60)).toEqual({ 200: 60 })
  })

  it('a serving replica that freezes (SIGSTOP) is marked unhealthy within one interval plus the timeout, then gets no traffic, and is healthy again within as long after SIGCONT', async () => {
    const gw = await startGatewayProcess(config([good.url, other.url]))
    gateways.push(gw)
    await msUntil(gw, other.url, r => r.healthy && r.lastCheck?.ok === true, 5_000)
    expect(await sendMany(gw, 20)).toEqual({ 200: 20 })

    other.process.kill('SIGSTOP')
    const took = await msUntil(gw, other.url, r => !r.healthy, INTERVAL_MS + TIMEOUT_MS + SLACK_MS)
    console.log(`frozen replica marked unhealthy ${took.toFixed(0)} ms after SIGSTOP (interval ${INTERVAL_MS} ms, timeout ${TIMEOUT_MS} ms)`)
    expect(await sendMany(gw, 60)).toEqual({ 200: 60 })

    // It answers again: the next passing probe brings it back.
    other.process.kill('SIGCONT')
    const back = await msUntil(gw, other.url, r => r.healthy, INTERVAL_MS + TIMEOUT_MS + SLACK_MS)
    console.log(`thawed replica healthy again ${back.toFixed(0)} ms after SIGCONT`)
  })
})
