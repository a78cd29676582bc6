import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { FRAUD_REQUEST } from '../support/oip.js'

// With every replica of the canary down: fallbackToStable serves the stable
// version (x-model-fallback: stable); without it the client gets 503
// GW_NO_HEALTHY_REPLICA. When the canary recovers, its users return to it
// (the bucket assignment never changed).

const TOKEN = 'fallback-read-token-0123456789'
const USERS = Array.from({ length: 40 }, (_, i) => `user-${i}`)

interface Answer { status: number, version: string | undefined, fallback: string | undefined, body: string }

async function infer (gw: GatewayProcess, user: string): Promise<Answer> {
  const res = await request(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', body: FRAUD_REQUEST, headers: { 'content-type': 'application/json', 'x-user-id': user } })
  return { status: res.statusCode, version: res.headers['x-model-version'] as string | undefined, fallback: res.headers['x-model-fallback'] as string | undefined, body: await res.body.text() }
}

async function canaryAvailable (gw: GatewayProcess): Promise<boolean[]> {
  const res = await fetch(`${gw.adminUrl!}/admin/health?model=fraud`, { headers: { authorization: `Bearer ${TOKEN}` } })
  const rows = ((await res.json()) as { replicas: Array<{ version: string, healthy: boolean, ejected: boolean }> }).replicas
  return rows.filter(r => r.version === 'v2').map(r => r.healthy && !r.ejected)
}

async function canaryAvailableIs (gw: GatewayProcess, available: boolean): Promise<void> {
  await eventually(async () => expect(await canaryAvailable(gw)).toEqual([available, available]), { timeoutMs: 5_000, intervalMs: 25 })
}

function config (v1: string[], v2: string[], fallbackToStable: boolean): object {
  return {
    admin: { tokens: [{ name: 'dash', token: TOKEN, role: 'read' }] },
    models: {
      fraud: {
        sticky: { header: 'x-user-id' },
        fallbackToStable,
        versions: { v1: { replicas: v1 }, v2: { replicas: v2 } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 5000 },
        healthCheck: { intervalMs: 500, timeoutMs: 450, unhealthyThreshold: 1, healthyThreshold: 1 }
      }
    }
  }
}

describe('version failover when the canary has no healthy replica', () => {
  let stable: ModelProcess
  const canary: ModelProcess[] = []
  const gateways: GatewayProcess[] = []
  let withFallback: GatewayProcess
  let without: GatewayProcess
  /** Which version each user is assigned while everything is up. */
  const assigned = new Map<string, string>()

  beforeAll(async () => {
    stable = await startModel({ version: 'v1' })
    canary.push(await startModel({ version: 'v2' }), await startModel({ version: 'v2' }))
    withFallback = await startGatewayProcess(config([stable.url], canary.map(c => c.url), true))
    gateways.push(withFallback)
    without = await startGatewayProcess(config([stable.url], canary.map(c => c.url), false))
    gateways.push(without)
    // On a loaded machine a first probe can time out: assign users once every replica passed one.
    for (const gw of [withFallback, without]) {
      await canaryAvailableIs(gw, true)
      await eventually(async () => {
        const res = await fetch(`${gw.adminUrl!}/admin/health?model=fraud`, { headers: { authorization: `Bearer ${TOKEN}` } })
        const rows = ((await res.json()) as { replicas: Array<{ healthy: boolean, ejected: boolean }> }).replicas
        expect(rows.map(r => r.healthy && !r.ejected)).toEqual([true, true, true])
      }, { timeoutMs: 5_000, intervalMs: 25 })
    }
    for (const u of USERS) {
      const a = await infer(withFallback, u)
      expect(a.status).toBe(200)
      assigned.set(u, a.version!)
    }
  })
  afterAll(async () => {
    await Promise.all(gateways.map(g => g.stop()))
    await Promise.all([stable?.stop(), ...canary.map(c => c.stop())])
  })

  it('serves stable with x-model-fallback when on, 503 GW_NO_HEALTHY_REPLICA when off, counts the fallbacks, and returns users to the canary when it recovers', async () => {
    const canaryUsers = USERS.filter(u => assigned.get(u) === 'v2')
    const stableUsers = USERS.filter(u => assigned.get(u) === 'v1')
    expect(canaryUsers.length).toBeGreaterThan(0)
    expect(stableUsers.length).toBeGreaterThan(0)

    const ports = canary.map(c => c.port)
    await Promise.all(canary.splice(0).map(c => c.stop()))
    for (const gw of [withFallback, without]) await canaryAvailableIs(gw, false)

    for (const u of canaryUsers) {
      const a = await infer(withFallback, u)
      expect(a).toMatchObject({ status: 200, version: 'v1', fallback: 'stable' })
      const b = await infer(without, u)
      expect(b.status).toBe(503)
      expect(b.version).toBe('v2')
      expect(JSON.parse(b.body)).toMatchObject({ code: 'GW_NO_HEALTHY_REPLICA', error: expect.any(String), model: 'fraud', version: 'v2' })
    }
    for (const u of stableUsers) {
      for (const gw of [withFallback, without]) {
        const a = await infer(gw, u)
        expect(a).toMatchObject({ status: 200, version: 'v1', fallback: undefined })
      }
    }

    const metrics = await (await fetch(`${withFallback.adminUrl!}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
    const line = metrics.split('\n').find(l => l.startsWith('model_gateway_fallback_total{model="fraud",from="v2",to="v1"}'))
    expect(Number(line?.split(' ').pop())).toBe(canaryUsers.length)

    // The canary comes back on the same ports: its users return to it.
    canary.push(...await Promise.all(ports.map(port => startModel({ version: 'v2', port }))))
    await canaryAvailableIs(withFallback, true)
    for (const u of USERS) {
      const a = await infer(withFallback, u)
      expect(a).toMatchObject({ status: 200, version: assigned.get(u), fallback: undefined })
    }
  })
})
