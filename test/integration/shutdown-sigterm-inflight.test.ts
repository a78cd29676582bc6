import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Pool } from 'undici'
import { startModel, type ModelProcess } from '../support/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { FRAUD_REQUEST } from '../support/oip.js'

// SIGTERM during a bounded load run: readiness turns false first, requests keep
// being served through gateway.drainDelayMs, then the listener closes and every
// request the gateway accepted is answered; the process exits 0. Connections
// refused after the listener closed are counted apart: those requests were
// never accepted.

const CONCURRENCY = 32
const MAX_REQUESTS = 60_000
const MAX_RUN_MS = 20_000
/** Every prediction waits this long, so requests are in flight at the signal. */
const MODEL_DELAY_MS = 25

interface Counts {
  ok: number
  okAfterSignal: number
  /** Accepted requests that did not get a 200: must stay 0. */
  failed: string[]
  /** New connections refused (or reset before they were accepted) once the listener had closed. */
  refused: number
}

describe('graceful shutdown on SIGTERM under load', () => {
  const models: ModelProcess[] = []
  let gw: GatewayProcess | undefined

  beforeAll(async () => {
    models.push(...await Promise.all([startModel({ version: 'v1', delayMs: MODEL_DELAY_MS }), startModel({ version: 'v1', delayMs: MODEL_DELAY_MS })]))
  })
  afterEach(async () => {
    await gw?.stop()
    gw = undefined
  })
  afterAll(async () => {
    await Promise.all(models.map(m => m.stop()))
  })

  it.each([
    { drainDelayMs: 0 },
    { drainDelayMs: 600 }
  ])('finishes every accepted request (drainDelayMs $drainDelayMs)', async ({ drainDelayMs }) => {
    const g = await startGatewayProcess({
      gateway: { drainDelayMs, shutdownTimeoutMs: 10_000 },
      admin: { enabled: false },
      models: {
        fraud: {
          versions: { v1: { replicas: models.map(m => m.url) } },
          release: { strategy: 'canary', stable: 'v1' },
          healthCheck: { intervalMs: 1_000, timeoutMs: 500 }
        }
      }
    })
    gw = g
    const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => g.process.once('exit', (code, signal) => resolve({ code, signal })))
    const pool = new Pool(g.url, { connections: CONCURRENCY, pipelining: 1 })
    const counts: Counts = { ok: 0, okAfterSignal: 0, failed: [], refused: 0 }
    let signalled = false
    let sent = 0
    const deadline = Date.now() + MAX_RUN_MS

    const worker = async (): Promise<void> => {
      while (sent < MAX_REQUESTS && Date.now() < deadline) {
        sent++
        try {
          const res = await pool.request({ path: '/v2/models/fraud/infer', method: 'POST', body: FRAUD_REQUEST, headers: { 'content-type': 'application/json' } })
          const text = await res.body.text()
          if (res.statusCode === 200) {
            counts.ok++
            if (signalled) counts.okAfterSignal++
          } else {
            counts.failed.push(`${res.statusCode} ${text}`)
          }
        } catch (err) {
          const { code, syscall } = err as { code?: string, syscall?: string }
          // Refused, or reset while connecting (the connection sat in the accept backlog when the
          // listener closed): no request byte was sent, so the gateway never accepted this request.
          if (signalled && (code === 'ECONNREFUSED' || (code === 'ECONNRESET' && syscall === 'connect'))) {
            counts.refused++
            return
          }
          counts.failed.push(`${code ?? ''} ${(err as Error).message}`)
        }
      }
    }

    try {
      const load = Promise.all(Array.from({ length: CONCURRENCY }, worker))
      while (counts.ok < 500 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
      const okBefore = counts.ok
      signalled = true
      g.kill('SIGTERM')

      if (drainDelayMs > 0) {
        // Readiness goes false at once while scoring requests are still answered.
        await new Promise(resolve => setTimeout(resolve, 100))
        const ready = await fetch(`${g.url}/v2/health/ready`)
        expect(ready.status).toBe(503)
        expect(await ready.json()).toEqual({ ready: false })
      }

      const exit = await exited
      await load
      expect(exit).toEqual({ code: 0, signal: null })
      console.log(`drainDelayMs ${drainDelayMs}: ${okBefore} ok before SIGTERM, ${counts.okAfterSignal} ok after it, ${counts.failed.length} failed, ${counts.refused} refused after the listener closed`)
      expect(counts.failed).toEqual([])
      expect(counts.okAfterSignal).toBeGreaterThan(0)
      expect(counts.refused).toBe(CONCURRENCY)
      expect(g.stderr()).toContain('"msg":"stopped"')
    } finally {
      await pool.destroy()
    }
  })
})
