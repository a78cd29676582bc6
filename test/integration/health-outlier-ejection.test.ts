import { afterAll, describe, expect, it } from 'vitest'
import { Pool } from 'undici'
import { startModel, type ModelProcess } from '../support/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { FRAUD_REQUEST } from '../support/oip.js'

// Passive outlier ejection on live traffic: a replica killed under a steady
// stream causes no client error (the failed attempt is retried on the other
// replica), is ejected after the configured consecutive failures, and comes
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
  let pool: Pool | undefined

  afterAll(async () => {
    await pool?.destroy()
    await gw?.stop()
    await Promise.all(models.map(m => m.stop()))
  })

  it('causes no client errors, is ejected after the configured failures and returns after a restart', async () => {
    // The model names its version in every answer; distinct names tell the replicas apart.
    const a = await startModel({ version: 'v1' })
    const b = await startModel({ version: 'v1-b' })
    models.push(a, b)
    gw = await startGatewayProcess({
      admin: { tokens: [{ name: 'dash', token: TOKEN, role: 'read' }] },
      models: {
        fraud: {
          versions: { v1: { replicas: [a.url, b.url] } },
          release: { strategy: 'canary', stable: 'v1' },
          // Passive detection alone: active checks would also catch a dead replica.
          healthCheck: { enabled: false },
          outlierDetection: { consecutiveFailures: CONSECUTIVE_FAILURES, baseEjectionMs: BASE_EJECTION_MS, maxEjectionMs: 4_000, maxEjectionPercent: 50 }
        }
      }
    })
    pool = new Pool(gw.url, { connections: WORKERS })
    const admin = async (): Promise<ReplicaRow> => {
      const res = await fetch(`${gw!.adminUrl!}/admin/health`, { headers: { authorization: `Bearer ${TOKEN}` } })
      const rows = ((await res.json()) as { replicas: ReplicaRow[] }).replicas
      return rows.find(r => r.replica === b.url)!
    }

    const servedBy = new Map<string, number>()
    const errors: string[] = []
    let sent = 0
    let phase: 'before' | 'dead' | 'restored' = 'before'
    const servedByBAfterRestore = { n: 0 }
    let stop = false
    const deadline = Date.now() + MAX_RUN_MS
    const worker = async (): Promise<void> => {
      while (!stop && sent < MAX_REQUESTS && Date.now() < deadline) {
        sent++
        try {
          const res = await pool!.request({ path: '/v2/models/fraud/infer', method: 'POST', body: FRAUD_REQUEST, headers: { 'content-type': 'application/json' } })
          const text = await res.body.text()
          if (res.statusCode !== 200) {
            errors.push(`${res.statusCode} ${text}`)
            continue
          }
          const v = (JSON.parse(text) as { model_version: string }).model_version
          servedBy.set(v, (servedBy.get(v) ?? 0) + 1)
          if (phase === 'restored' && v === 'v1-b') servedByBAfterRestore.n++
        } catch (err) {
          errors.push(String(err))
        }
      }
    }
    const load = Promise.all(Array.from({ length: WORKERS }, worker))

    const waitUntil = async (what: string, pred: () => boolean | Promise<boolean>, limitMs: number): Promise<number> => {
      const start = performance.now()
      while (!(await pred())) {
        if (performance.now() - start > limitMs) throw new Error(`${what}: not within ${limitMs} ms`)
        await new Promise(resolve => setTimeout(resolve, 20))
      }
      return performance.now() - start
    }

    try {
      await waitUntil('both replicas serve', () => (servedBy.get('v1') ?? 0) > 50 && (servedBy.get('v1-b') ?? 0) > 50, 10_000)
      const port = b.port
      b.kill('SIGKILL')
      phase = 'dead'
      const ejectedAfter = await waitUntil('replica b ejected', async () => (await admin()).ejected, 5_000)
      const row = await admin()
      expect(row.ejections).toBeGreaterThanOrEqual(1)
      const logLine = gw.stderr().split('\n').find(l => l.includes('replica ejected after consecutive failures'))
      expect(logLine).toBeDefined()
      expect(JSON.parse(logLine!)).toMatchObject({ replica: b.url, consecutiveFailures: CONSECUTIVE_FAILURES, ejections: 1, durationMs: BASE_EJECTION_MS })
      console.log(`killed replica ejected ${ejectedAfter.toFixed(0)} ms after SIGKILL (threshold ${CONSECUTIVE_FAILURES} consecutive failures, ${WORKERS} concurrent clients)`)

      const b2 = await startModel({ version: 'v1-b', port })
      models.push(b2)
      phase = 'restored'
      const backAfter = await waitUntil('replica b serves again', () => servedByBAfterRestore.n > 20, 15_000)
      console.log(`restarted replica back in rotation and serving ${backAfter.toFixed(0)} ms after it was ready`)
      expect((await admin()).ejected).toBe(false)
    } finally {
      stop = true
      await load
    }

    const metrics = await (await fetch(`${gw.adminUrl!}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
    const ejections = metrics.split('\n').find(l => l.startsWith(`model_gateway_replica_ejections_total{model="fraud",version="v1",replica="${b.url}"}`))
    expect(ejections).toBeDefined()
    expect(Number(ejections!.split(' ').pop())).toBeGreaterThanOrEqual(1)
    console.log(`requests: ${sent}, served by a: ${servedBy.get('v1') ?? 0}, by b: ${servedBy.get('v1-b') ?? 0}, client errors: ${errors.length}`)
    expect(errors).toEqual([])
  })
})
