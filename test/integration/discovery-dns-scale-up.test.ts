// A version whose replicas come from a DNS name (a headless Service): a replica
// added behind the name receives traffic without a restart, and the replica
// that was there keeps its health state. Real DNS server on loopback, real
// model processes on 127.0.0.2 and 127.0.0.3 (same port), real gateway.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js'
import { startReplicasOnAddresses, recordsIn } from '../support/discovery-fleet.js'
import { startLoadLoop } from '../support/load.js'
import { eventually } from '../support/eventually.js'
import type { ModelProcess } from '../../scripts/processes/model-process.js'
import { admin, TOKEN } from '../support/redis-fleet.js'

const NAME = 'fraud-v2.models.test'
let dns: TestDnsServer
let models: ModelProcess[] = []
let gw: GatewayProcess
let dir: string
let file: string

beforeAll(async () => {
  dns = await startDnsServer()
  models = await startReplicasOnAddresses(['127.0.0.2', '127.0.0.3'], { version: 'v2' })
  dns.setA(NAME, ['127.0.0.2'], 1)
  dir = await mkdtemp(join(tmpdir(), 'discovery-up-'))
  file = join(dir, 'records.ndjson')
  gw = await startGatewayProcess({
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    discovery: { resolver: dns.address, minIntervalMs: 100, maxIntervalMs: 1_000, timeoutMs: 300 },
    logging: { sink: 'file', file, flushIntervalMs: 50 },
    models: {
      fraud: {
        versions: { v2: { discovery: { dns: NAME, port: models[0]!.port } } },
        release: { strategy: 'canary', stable: 'v2' },
        healthCheck: { enabled: true, intervalMs: 60_000 },
        sampling: { rate: 1 }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all(models.map(m => m.stop()))
  await dns?.close()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

const servedBy = async (prefix: string): Promise<Map<string, number>> => {
  const by = new Map<string, number>()
  for (const r of await recordsIn(file)) if (r.request_id.startsWith(prefix)) by.set(r.replica, (by.get(r.replica) ?? 0) + 1)
  return by
}

describe('DNS discovery: scaling up', () => {
  it('sends traffic to a replica added behind the DNS name, and the replica that stayed keeps its health state', async () => {
    const [a, b] = models as [ModelProcess, ModelProcess]
    const before = startLoadLoop(gw.url, { prefix: 'before', maxRequests: 40, concurrency: 2 })
    expect((await before.done()).every(x => x.status === 200)).toBe(true)
    const first = await eventually(async () => {
      const by = await servedBy('before-')
      expect([...by.values()].reduce((s, n) => s + n, 0)).toBe(40)
      return by
    })
    expect([...first.keys()]).toEqual([a.url])
    const health = async (url: string): Promise<{ lastCheck: { at: string } | null }> => {
      const res = await fetch(`${gw.adminUrl}/admin/health`, { headers: { authorization: `Bearer ${TOKEN}` } })
      return ((await res.json()) as { replicas: Array<{ replica: string, lastCheck: { at: string } | null }> }).replicas.find(r => r.replica === url)!
    }
    const aChecked = await eventually(async () => {
      const last = (await health(a.url)).lastCheck
      expect(last).not.toBeNull()
      return last!
    })

    dns.setA(NAME, ['127.0.0.2', '127.0.0.3'], 1)
    await eventually(async () => {
      const { json } = await admin(gw, 'GET', '/admin/models/fraud')
      expect(json.model.versions[0]!.replicas.map(r => r.url)).toEqual([a.url, b.url])
    })
    const after = startLoadLoop(gw.url, { prefix: 'after', maxRequests: 200, concurrency: 4 })
    expect((await after.done()).every(x => x.status === 200)).toBe(true)
    const by = await eventually(async () => {
      const m = await servedBy('after-')
      expect([...m.values()].reduce((s, n) => s + n, 0)).toBe(200)
      return m
    })
    expect(by.get(b.url)).toBeGreaterThan(0)
    expect(by.get(a.url)).toBeGreaterThan(0)
    // Same replica object: its last check is the one from before (the 60 s interval has not come round), not a new target's first probe.
    expect((await health(a.url)).lastCheck!.at).toBe(aChecked.at)
  }, 60_000)
})
