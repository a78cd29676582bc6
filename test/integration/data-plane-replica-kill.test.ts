import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { startLoad } from '../support/load.js'

// SIGKILL of one replica under a steady stream of requests is invisible to
// clients when the model is declared idempotent: a request whose connection
// fails before any response byte is resent once to another replica. Health
// checks are off so only that path is at work. (Without `idempotent`, see
// data-plane-replica-kill-not-idempotent.test.ts.)

const WORKERS = 20
const MAX_RUN_MS = 8_000
const MAX_REQUESTS = 50_000

const models: ModelProcess[] = []
let gw: GatewayProcess

beforeAll(async () => {
  models.push(...await Promise.all([startModel({ version: 'v1' }), startModel({ version: 'v1' })]))
  gw = await startGatewayProcess({
    models: {
      fraud: {
        idempotent: true,
        versions: { v1: { replicas: models.map(m => m.url) } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all(models.map(m => m.stop()))
})

describe('replica of an idempotent model killed under load', () => {
  it('every request before and after the kill is answered 200 by v1', async () => {
    const load = startLoad({ url: gw.url, concurrency: WORKERS, maxRequests: MAX_REQUESTS, maxMs: MAX_RUN_MS })
    try {
      await eventually(() => expect(load.progress.ok).toBeGreaterThan(WORKERS * 3))
      models[0]!.kill('SIGKILL')
      const atKill = load.progress.sent
      // The stream really ran on the surviving replica after the kill.
      await eventually(() => expect(load.progress.sent - atKill).toBeGreaterThan(WORKERS * 5))
    } finally {
      await load.stop()
    }
    const result = await load.done
    expect(models[0]!.process.signalCode ?? 'running').toBe('SIGKILL')
    expect(result.statuses).toEqual({ 200: result.sent })
    expect(result.versions).toEqual({ v1: result.sent })
    expect(gw.alive()).toBe(true)
  })
})
