// A replica removed from behind a DNS name stops receiving traffic, finishes
// the requests it has in flight, and clients see no error at all while it goes
// — under a bounded load loop, with the replica's process stopped after the
// gateway let go of it (a pod leaving a headless Service, then terminating).
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
  // A model delay keeps requests in flight on the replica at the moment it is removed.
  models = await startReplicasOnAddresses(['127.0.0.2', '127.0.0.3'], { version: 'v2', delayMs: 50 })
  dns.setA(NAME, ['127.0.0.2', '127.0.0.3'], 1)
  dir = await mkdtemp(join(tmpdir(), 'discovery-down-'))
  file = join(dir, 'records.ndjson')
  gw = await startGatewayProcess({
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    discovery: { resolver: dns.address, minIntervalMs: 100, maxIntervalMs: 1_000, timeoutMs: 300 },
    logging: { sink: 'file', file, flushIntervalMs: 50 },
    models: {
      fraud: {
        versions: { v2: { discovery: { dns: NAME, port: models[0]!.port } } },
        release: { strategy: 'canary', stable: 'v2' },
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

const replicasSeen = async (): Promise<string[]> => (await admin(gw, 'GET', '/admin/models/fraud')).json.model.versions[0]!.replicas.map(r => r.url)

describe('DNS discovery: scaling down under load', () => {
  it('stops sending to a removed replica with 0 client errors, before and after its process stops', async () => {
    const [a, b] = models as [ModelProcess, ModelProcess]
    await eventually(async () => { expect(await replicasSeen()).toEqual([a.url, b.url]) })
    let removedAt = Infinity
    const load = startLoadLoop(gw.url, { prefix: 'down', concurrency: 4, maxRequests: 5_000, maxMs: 40_000 })
    try {
      // Both replicas are busy before the removal.
      await eventually(async () => {
        const served = new Set((await recordsIn(file)).map(r => r.replica))
        expect(served).toEqual(new Set([a.url, b.url]))
      })
      dns.setA(NAME, ['127.0.0.2'], 1)
      await eventually(async () => { expect(await replicasSeen()).toEqual([a.url]) })
      removedAt = Date.now()
      // The pod terminates once the gateway has let go of it.
      await b.stop()
      const sentAfter = load.answers.length
      await eventually(() => { expect(load.answers.length).toBeGreaterThanOrEqual(sentAfter + 200) }, { timeoutMs: 20_000 })
    } finally {
      await load.stop()
    }
    const answers = load.answers
    const failed = answers.filter(x => x.status !== 200)
    expect(failed).toEqual([])
    expect(answers.length).toBeGreaterThan(200)

    // Requests sent once this instance's snapshot no longer named the replica.
    const sentAfterRemoval = new Set(answers.filter(x => x.sentAt > removedAt).map(x => x.id))
    expect(sentAfterRemoval.size).toBeGreaterThanOrEqual(200)
    const records = await eventually(async () => {
      const rs = await recordsIn(file)
      expect(rs.length).toBe(answers.length)
      return rs
    })
    expect(records.filter(r => sentAfterRemoval.has(r.request_id) && r.replica === b.url)).toEqual([])
    expect(records.filter(r => r.replica === b.url).length).toBeGreaterThan(0)
  }, 90_000)
})
