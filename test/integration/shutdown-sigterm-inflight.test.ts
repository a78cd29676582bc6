import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { startLoad } from '../support/load.js'

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
/** How a request the gateway never accepted fails (see the load's "error <code> <syscall>" keys). */
const REFUSED = new Set(['error ECONNREFUSED connect', 'error ECONNREFUSED', 'error ECONNRESET connect'])

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
    { drainDelayMs: 0, during: 'no drain delay' },
    { drainDelayMs: 600, during: 'drainDelayMs 600, readiness 503 during it' }
  ])('answers every accepted request 200, refuses new connections once the listener closed, and exits 0 ($during)', async ({ drainDelayMs }) => {
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
    // Each worker stops at its first request that got no answer: once the listener has
    // closed, that is one refused connection per worker.
    const load = startLoad({ url: g.url, concurrency: CONCURRENCY, maxRequests: MAX_REQUESTS, maxMs: MAX_RUN_MS, stopWorkerOnError: true })
    await eventually(() => expect(load.progress.ok).toBeGreaterThanOrEqual(500), { timeoutMs: MAX_RUN_MS })
    expect(load.progress.failed).toBe(0)
    const okBefore = load.progress.ok
    g.kill('SIGTERM')

    if (drainDelayMs > 0) {
      // Readiness goes false while scoring requests are still answered.
      await eventually(async () => {
        const ready = await fetch(`${g.url}/v2/health/ready`)
        expect(ready.status).toBe(503)
        expect(await ready.json()).toEqual({ ready: false })
      }, { timeoutMs: drainDelayMs })
    }

    const exit = await exited
    const r = await load.done
    expect(exit).toEqual({ code: 0, signal: null })
    const okAfter = r.ok - okBefore
    // Refused, or reset while connecting (the connection sat in the accept backlog when the
    // listener closed): no request byte was sent, so the gateway never accepted those requests.
    const refused = Object.entries(r.statuses).filter(([k]) => REFUSED.has(k)).reduce((a, [, n]) => a + n, 0)
    const failed = Object.keys(r.statuses).filter(k => k !== '200' && !REFUSED.has(k))
    console.log(`drainDelayMs ${drainDelayMs}: ${okBefore} ok before SIGTERM, ${okAfter} ok after it, ${r.sent - r.ok - refused} failed, ${refused} refused after the listener closed`)
    expect(failed, r.failures.join('\n')).toEqual([])
    expect(okAfter).toBeGreaterThan(0)
    expect(refused).toBe(CONCURRENCY)
    expect(g.stderr()).toContain('"msg":"stopped"')
  })
})
