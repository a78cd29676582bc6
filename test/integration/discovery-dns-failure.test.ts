// When the DNS server fails (SERVFAIL, then no answer at all), the gateway
// keeps the last good replica set and keeps serving, counts the failures in
// /metrics and shows them in GET /admin/discovery; when DNS answers again,
// the failure count resets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js'
import { startReplicasOnAddresses } from '../support/discovery-fleet.js'
import { startLoadLoop } from '../support/load.js'
import { eventually } from '../support/eventually.js'
import type { ModelProcess } from '../../scripts/processes/model-process.js'
import { TOKEN } from '../support/redis-fleet.js'

const NAME = 'fraud-v2.models.test'
let dns: TestDnsServer
let models: ModelProcess[] = []
let gw: GatewayProcess

beforeAll(async () => {
  dns = await startDnsServer()
  models = await startReplicasOnAddresses(['127.0.0.2'], { version: 'v2' })
  dns.setA(NAME, ['127.0.0.2'], 1)
  gw = await startGatewayProcess({
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    discovery: { resolver: dns.address, minIntervalMs: 100, maxIntervalMs: 400, timeoutMs: 200 },
    models: {
      fraud: {
        versions: { v2: { discovery: { dns: NAME, port: models[0]!.port } } },
        release: { strategy: 'canary', stable: 'v2' }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all(models.map(m => m.stop()))
  await dns?.close()
})

interface Row { dns: string, replicas: string[], consecutiveFailures: number, lastError: string | null }
const discovery = async (): Promise<Row> => {
  const res = await fetch(`${gw.adminUrl}/admin/discovery`, { headers: { authorization: `Bearer ${TOKEN}` } })
  return ((await res.json()) as { versions: Row[] }).versions[0]!
}
const failures = async (reason: string): Promise<number> => {
  const text = await (await fetch(`${gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
  const line = text.split('\n').find(l => l.startsWith('model_gateway_discovery_failures_total{') && l.includes(`reason="${reason}"`))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}
const serves = async (): Promise<void> => {
  const answers = await startLoadLoop(gw.url, { prefix: 'f', maxRequests: 20, concurrency: 2 }).done()
  expect(answers.map(a => a.status)).toEqual(Array(20).fill(200))
}

describe('DNS discovery when DNS fails', () => {
  it('keeps the last good replica set and serves, counting and showing the failures, until DNS answers again', async () => {
    const url = models[0]!.url
    await eventually(async () => { expect((await discovery()).replicas).toEqual([url]) })
    await serves()

    dns.fail('servfail')
    await eventually(async () => { expect(await failures('ESERVFAIL')).toBeGreaterThanOrEqual(2) })
    const row = await discovery()
    expect(row).toMatchObject({ replicas: [url], lastError: `resolving ${NAME} failed (ESERVFAIL)` })
    expect(row.consecutiveFailures).toBeGreaterThanOrEqual(2)
    await serves()

    dns.fail('silent')
    await eventually(async () => { expect(await failures('ETIMEOUT')).toBeGreaterThanOrEqual(1) })
    expect((await discovery()).replicas).toEqual([url])
    await serves()

    dns.fail(null)
    await eventually(async () => { expect(await discovery()).toMatchObject({ replicas: [url], consecutiveFailures: 0, lastError: null }) })
    expect(gw.stderr()).toContain('DNS discovery failed')
  }, 60_000)
})
