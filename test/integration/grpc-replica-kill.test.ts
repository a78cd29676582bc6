import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { startGrpcLoad } from '../support/grpc-load.js'

// SIGKILL of one of two gRPC replicas under a steady stream of ModelInfer
// calls (a model not declared idempotent, health checks off: live traffic
// alone must show it). Calls that were on the killed replica may fail (they
// may have reached the model); calls that never reached it are sent to the
// other replica (a channel with no connection is "not sent"), and the killed
// replica is ejected by outlier detection.

const WORKERS = 16
const MAX_RUN_MS = 20_000
const EJECT_AFTER = 3
const TOKEN = 'grpc-kill-admin-token-0123456789'

const models: ModelProcess[] = []
let gw: GatewayProcess

beforeAll(async () => {
  models.push(...await Promise.all([startModel({ version: 'v1', grpc: true, delayMs: 2 }), startModel({ version: 'v1', grpc: true, delayMs: 2 })]))
  gw = await startGatewayProcess({
    grpc: { enabled: true },
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'read' }] },
    models: {
      fraud: {
        versions: { v1: { replicas: models.map(m => m.grpcUrl!) } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { enabled: false },
        outlierDetection: { consecutiveFailures: EJECT_AFTER, baseEjectionMs: 60_000, maxEjectionPercent: 50 }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all(models.map(m => m.stop()))
})

async function ejected (url: string): Promise<boolean> {
  const res = await fetch(`${gw.adminUrl!}/admin/health`, { headers: { authorization: `Bearer ${TOKEN}` } })
  const rows = (await res.json() as { replicas: Array<{ replica: string, ejected: boolean }> }).replicas
  return rows.find(r => r.replica === url)?.ejected ?? false
}

describe('gRPC replica killed under load', () => {
  it('is ejected; at most the calls in flight on it fail (GW_UPSTREAM_UNAVAILABLE), every later call is answered by the other', async () => {
    const load = startGrpcLoad({ target: gw.grpcTarget!, model: 'fraud', concurrency: WORKERS, maxRequests: 200_000, maxMs: MAX_RUN_MS })
    let afterEjection = { sent: 0, ok: 0 }
    try {
      await eventually(() => expect(load.progress.ok).toBeGreaterThan(WORKERS * 5))
      models[0]!.kill('SIGKILL')
      await eventually(async () => expect(await ejected(models[0]!.grpcUrl!)).toBe(true), { timeoutMs: 15_000 })
      const mark = { sent: load.progress.sent, ok: load.progress.ok }
      // The stream ran on the surviving replica after the ejection, and none of it failed.
      await eventually(() => expect(load.progress.sent - mark.sent).toBeGreaterThan(WORKERS * 20))
      afterEjection = { sent: load.progress.sent - mark.sent, ok: load.progress.ok - mark.ok }
    } finally {
      await load.stop()
    }
    const p = load.progress
    expect(models[0]!.process.signalCode ?? 'running').toBe('SIGKILL')
    const failed = p.sent - p.ok
    expect(failed).toBeLessThanOrEqual(WORKERS)
    expect([...p.errorCodes.keys()].filter(c => c !== 'GW_UPSTREAM_UNAVAILABLE')).toEqual([])
    // Calls still in flight at the mark may end after it; all others succeeded.
    expect(afterEjection.sent - afterEjection.ok).toBeLessThanOrEqual(WORKERS)
    expect(p.versions.get('v1')).toBe(p.sent)
    expect(gw.alive()).toBe(true)
  })
})
