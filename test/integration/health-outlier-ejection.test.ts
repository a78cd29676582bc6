import { afterAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { startLoad } from '../support/load.js'

// Passive outlier ejection on live traffic: a replica killed under a steady
// stream causes no client error (the model is declared idempotent, so a request
// whose connection dropped is resent to the other replica), is ejected after the configured consecutive failures, and comes
// back into rotation once it is restarted on the same port.

const TOKEN = 'outlier-read-token-0123456789'
const CONSECUTIVE_FAILURES = 3
const BASE_EJECTION_MS = 1_000
const WORKERS = 8
const MAX_REQUESTS = 20_000
const MAX_RUN_MS = 20_000

interface ReplicaRow { replica: string, healthy: boolean, ejected: boolean, ejections: number }

describe('a replica killed under load', () => {
  const models: ModelProcess[] = []
  let gw: GatewayProcess | undefined

  afterAll(async () => {
    await gw?.stop()
    await Promise.all(models.map(m => m.stop()))
  })

  it('causes no client errors, is ejected after the configured failures (logged and counted) and serves again after a restart', async () => {
    // The model names its version in every answer; distinct names tell the replicas apart.
    const a = await startModel({ version: 'v1' })
    const b = await startModel({ version: 'v1-b' })
    models.push(a, b)
    gw = await startGatewayProcess({
      admin: { tokens: [{ name: 'dash', token: TOKEN, role: 'read' }] },
      models: {
        fraud: {
          idempotent: true,
          versions: { v1: { replicas: [a.url, b.url] } },
          release: { strategy: 'canary', stable: 'v1' },
          // Passive detection alone: active checks would also catch a dead replica.
          healthCheck: { enabled: false },
          outlierDetection: { consecutiveFailures: CONSECUTIVE_FAILURES, baseEjectionMs: BASE_EJECTION_MS, maxEjectionMs: 4_000, maxEjectionPercent: 50 }
        }
      }
    })
    const admin = async (): Promise<ReplicaRow> => {
      const res = await fetch(`${gw!.adminUrl!}/admin/health`, { headers: { authorization: `Bearer ${TOKEN}` } })
      const rows = ((await res.json()) as { replicas: ReplicaRow[] }).replicas
      return rows.find(r => r.replica === b.url)!
    }

    // The model names its own version in the body: v1 is replica a, v1-b replica b.
    const servedBy: Record<string, number> = {}
    let restored = false
    let servedByBAfterRestore = 0
    const load = startLoad({
      url: gw.url,
      concurrency: WORKERS,
      maxRequests: MAX_REQUESTS,
      maxMs: MAX_RUN_MS,
      onAnswer: ({ status, body }) => {
        if (status !== 200) return
        const v = (JSON.parse(body) as { model_version: string }).model_version
        servedBy[v] = (servedBy[v] ?? 0) + 1
        if (restored && v === 'v1-b') servedByBAfterRestore++
      }
    })
    const msUntil = async (check: () => void | Promise<void>, timeoutMs: number): Promise<number> => {
      const start = performance.now()
      await eventually(check, { timeoutMs, intervalMs: 20 })
      return performance.now() - start
    }

    try {
      await msUntil(() => {
        expect(servedBy.v1 ?? 0).toBeGreaterThan(50)
        expect(servedBy['v1-b'] ?? 0).toBeGreaterThan(50)
      }, 10_000)
      const port = b.port
      b.kill('SIGKILL')
      const ejectedAfter = await msUntil(async () => expect((await admin()).ejected).toBe(true), 5_000)
      const row = await admin()
      expect(row.ejections).toBeGreaterThanOrEqual(1)
      const logLine = gw.stderr().split('\n').find(l => l.includes('replica ejected after consecutive failures'))
      expect(logLine).toBeDefined()
      expect(JSON.parse(logLine!)).toMatchObject({ replica: b.url, consecutiveFailures: CONSECUTIVE_FAILURES, ejections: 1, durationMs: BASE_EJECTION_MS })
      console.log(`killed replica ejected ${ejectedAfter.toFixed(0)} ms after SIGKILL (threshold ${CONSECUTIVE_FAILURES} consecutive failures, ${WORKERS} concurrent clients)`)

      const b2 = await startModel({ version: 'v1-b', port })
      models.push(b2)
      restored = true
      const backAfter = await msUntil(() => expect(servedByBAfterRestore).toBeGreaterThan(20), 15_000)
      console.log(`restarted replica back in rotation and serving ${backAfter.toFixed(0)} ms after it was ready`)
      expect((await admin()).ejected).toBe(false)
    } finally {
      await load.stop()
    }
    const r = await load.done

    const metrics = await (await fetch(`${gw.adminUrl!}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
    const ejections = metrics.split('\n').find(l => l.startsWith(`model_gateway_replica_ejections_total{model="fraud",version="v1",replica="${b.url}"}`))
    expect(ejections).toBeDefined()
    expect(Number(ejections!.split(' ').pop())).toBeGreaterThanOrEqual(1)
    console.log(`requests: ${r.sent}, served by a: ${servedBy.v1 ?? 0}, by b: ${servedBy['v1-b'] ?? 0}, client errors: ${r.failed}`)
    expect(r.failures).toEqual([])
  })
})
