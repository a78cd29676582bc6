import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, startHungServer, type ModelProcess, type HungServer } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'

// Health checks follow the replica set: a version registered through the admin
// API is probed at once (a dead replica in it leaves rotation without waiting
// for traffic), and a retired version stops being probed and reported.

const ADMIN = 'follow-admin-token-0123456789'

interface Row { version: string, replica: string, healthy: boolean, lastCheck: { ok: boolean, error: string | null } | null }

describe('health checks follow routing changes', () => {
  let stable: ModelProcess
  let fresh: ModelProcess
  let hung: HungServer
  let gw: GatewayProcess

  beforeAll(async () => {
    [stable, fresh, hung] = await Promise.all([startModel({ version: 'v1' }), startModel({ version: 'v3' }), startHungServer()])
    gw = await startGatewayProcess({
      admin: { tokens: [{ name: 'ops', token: ADMIN, role: 'admin' }] },
      models: {
        fraud: {
          versions: { v1: { replicas: [stable.url] } },
          release: { strategy: 'canary', stable: 'v1' },
          // Long interval: anything seen below comes from the probe a new replica gets at once.
          healthCheck: { intervalMs: 60_000, timeoutMs: 300, jitter: 0, unhealthyThreshold: 1 }
        }
      }
    })
  })
  afterAll(async () => {
    await gw?.stop()
    await Promise.all([stable?.stop(), fresh?.stop(), hung?.close()])
  })

  const call = async (method: string, path: string, body?: object): Promise<{ status: number, json: unknown }> => {
    const res = await fetch(`${gw.adminUrl!}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    return { status: res.status, json: await res.json() }
  }
  const rows = async (): Promise<Row[]> => ((await call('GET', '/admin/health?model=fraud')).json as { replicas: Row[] }).replicas

  it('probes both replicas of a registered version at once (the live one healthy, the hung one not) and drops a retired version from the health rows and metrics', async () => {
    expect((await rows()).map(r => r.version)).toEqual(['v1'])

    const reg = await call('POST', '/admin/models/fraud/versions', { name: 'v3', replicas: [fresh.url, hung.url] })
    expect(reg.status).toBe(201)

    const start = performance.now()
    const v3 = await eventually(async () => {
      const probed = (await rows()).filter(r => r.version === 'v3' && r.lastCheck !== null)
      expect(probed).toHaveLength(2)
      return probed
    }, { timeoutMs: 5_000, intervalMs: 25 })
    expect(v3.find(r => r.replica === fresh.url)).toMatchObject({ healthy: true, lastCheck: { ok: true, error: null } })
    expect(v3.find(r => r.replica === hung.url)).toMatchObject({ healthy: false, lastCheck: { ok: false, error: 'timeout' } })
    console.log(`new version's replicas probed ${(performance.now() - start).toFixed(0)} ms after registration (interval 60 s)`)

    const retired = await call('DELETE', '/admin/models/fraud/versions/v3')
    expect(retired.status).toBe(200)
    const after = await rows()
    expect(after.map(r => r.version)).toEqual(['v1'])
    const metrics = await (await fetch(`${gw.adminUrl!}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text()
    expect(metrics).not.toContain(`replica="${hung.url}"} `)
  })
})
