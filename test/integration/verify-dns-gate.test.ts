// A model that requires verification, with a version whose replicas come only
// from DNS discovery: refused before `verify`, given weight after it. Real DNS
// server on loopback, real model processes, real gateway.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js'
import { startReplicasOnAddresses } from '../support/discovery-fleet.js'
import { eventually } from '../support/eventually.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { repoRoot } from '../../scripts/processes/ready-process.js'
import { admin, TOKEN } from '../support/redis-fleet.js'

const NAME = 'fraud-v2.models.test'
let dns: TestDnsServer
let v1: ModelProcess
let v2: ModelProcess[] = []
let gw: GatewayProcess

beforeAll(async () => {
  dns = await startDnsServer()
  v1 = await startModel({ version: 'v1' })
  v2 = await startReplicasOnAddresses(['127.0.0.2', '127.0.0.3'], { version: 'v1' })
  dns.setA(NAME, ['127.0.0.2', '127.0.0.3'], 1)
  gw = await startGatewayProcess({
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    discovery: { resolver: dns.address, minIntervalMs: 100, maxIntervalMs: 1_000, timeoutMs: 300 },
    models: {
      fraud: {
        versions: { v1: { replicas: [v1.url] }, v2: { discovery: { dns: NAME, port: v2[0]!.port } } },
        release: { strategy: 'canary', stable: 'v1', requireVerification: true },
        healthCheck: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all([v1?.stop(), ...v2.map(m => m.stop())])
  await dns?.close()
})

describe('requireVerification with a DNS-discovered version', () => {
  it('refuses weight before verify and gives it after: the verification covers the discovered replicas and keeps the static list', async () => {
    await eventually(async () => {
      const m = (await admin(gw, 'GET', '/admin/models/fraud')).json.model
      expect(m.versions.find(v => v.name === 'v2')!.replicas.filter(r => r.discovered === true)).toHaveLength(2)
    })
    const before = await admin(gw, 'POST', '/admin/models/fraud/canary', { version: 'v2', weight: 1000 })
    expect(before.status).toBe(409)
    expect(before.json.code).toBe('GW_NOT_VERIFIED')

    const cli = await promisify(execFile)('node', [join(repoRoot(), 'dist', 'gateway', 'cli', 'main.js'), 'verify', 'fraud', 'v2', '--golden', join(repoRoot(), 'config', 'golden', 'fraud.ndjson'), '--admin-url', gw.adminUrl!, '--token', TOKEN])
    expect(cli.stdout).toMatch(/^fraud v2: verification PASSED \(\d+ golden requests x 2 replicas/)
    const stored = await admin(gw, 'GET', '/admin/models/fraud/versions/v2/verification')
    expect(stored.json).toMatchObject({ verification: { passed: true, replicas: [] } })
    expect([...(stored.json as unknown as { verification: { discovered: string[] } }).verification.discovered].sort()).toEqual([`http://127.0.0.2:${v2[0]!.port}`, `http://127.0.0.3:${v2[0]!.port}`])

    const after = await admin(gw, 'POST', '/admin/models/fraud/canary', { version: 'v2', weight: 1000 })
    expect(after.status).toBe(200)
    expect(after.json.model.split).toEqual([{ version: 'v2', weight: 1000 }, { version: 'v1', weight: 9000 }])
  })
})
