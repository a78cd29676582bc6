// Two gateways reach Redis through Redis Sentinel (a primary, two replicas,
// three sentinels; Debian redis-server and redis-sentinel). Under about 300
// scoring requests a second, with a rollout running and an operator's admin
// writes streaming in, the primary is killed (SIGKILL) and the sentinels
// promote a replica: the data plane answers every request 2xx, no write the
// gateways acknowledged is lost (writes wait for a replica: state.minReplicaAcks
// 1), every write is accounted for in the audit log, and the rollout completes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceEnv } from '../../scripts/services/control.js'
import { currentPrimary, killNode, sentinelDown, sentinelUp, type SentinelEnv } from '../../scripts/services/sentinel.js'
import { eventually } from '../support/eventually.js'
import { startLoad } from '../support/load.js'
import { checkLedger, expectRevisionChain, WriteLedger } from '../support/write-ledger.js'
import { adminCall, fastPlan, features, journalOf, startFleet, startRollout, TOKEN, waitForRollout, type Fleet } from './release-harness.js'

/** The load's pacing: 6 workers, each pausing this long after an answer, make about 300 requests a second here. */
const LOAD_WORKERS = 6
const LOAD_PAUSE_MS = 14
const WRITE_EVERY_MS = 100

describe('Redis Sentinel failover under load and a running rollout', () => {
  let sentinel: SentinelEnv
  let fleet: Fleet

  beforeAll(async () => {
    sentinel = await sentinelUp()
    fleet = await startFleet(2, serviceEnv().REDIS_URL, { leaseTtlMs: 3_000 }, {
      state: () => ({ sentinel: { name: sentinel.name, hosts: sentinel.sentinels }, minReplicaAcks: 1 })
    })
  }, 120_000)

  afterAll(async () => {
    await fleet?.stop()
    await sentinelDown()
  })

  it('answers every scoring request 2xx, loses no acknowledged admin write and completes the rollout when the primary is killed', async () => {
    const [a, b] = fleet.gateways as [typeof fleet.gateways[0], typeof fleet.gateways[0]]
    const load = startLoad({
      concurrency: LOAD_WORKERS,
      pauseMs: LOAD_PAUSE_MS,
      maxRequests: 200_000,
      maxMs: 240_000,
      request: i => ({ origin: (i % 2 === 0 ? a : b).url, headers: { 'x-user-id': `user-${i}` }, body: features(i) })
    })
    const ledger = new WriteLedger(TOKEN)
    let writing = true
    // An operator's writes: the stable version's sampling rate, a distinct value each time.
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await ledger.send(i % 2 === 0 ? a : b, 'set-sampling', 'fraud', 'PUT', '/admin/models/fraud/versions/v1/sampling', { rate: ((i % 999) + 1) / 1000 })
        await new Promise(resolve => setTimeout(resolve, WRITE_EVERY_MS))
      }
    })()
    const t0 = Date.now()
    try {
      await eventually(() => expect(load.progress.ok).toBeGreaterThan(2_000), { timeoutMs: 60_000 })
      expect((await startRollout(a, fastPlan({ steps: [{ weight: '20%', bake: '8s' }, { weight: '50%', bake: '5s' }] }))).status).toBe(201)
      await eventually(async () => expect((await journalOf(a)).filter(e => e.action === 'wait').length).toBeGreaterThanOrEqual(3), { timeoutMs: 30_000 })

      const old = await currentPrimary()
      const killedAt = Date.now()
      await killNode(old)
      const promoted = await eventually(async () => {
        const p = await currentPrimary()
        expect(p).not.toBe(old)
        return p
      }, { timeoutMs: 30_000, intervalMs: 200 })
      console.log(`primary ${old} killed; sentinels promoted ${promoted} after ${Date.now() - killedAt} ms`)
      // Writes go through again, on the new primary, once a replica follows it
      // (each write waits for one replica's ack); sentinels reconfigure the
      // replicas after the promotion, which a loaded machine can stretch.
      await eventually(() => expect(ledger.answers.slice(-3).every(x => x.status === 200)).toBe(true), { timeoutMs: 90_000, intervalMs: 200 })
      console.log(`admin writes succeed again ${Date.now() - killedAt} ms after the kill`)

      const done = await waitForRollout(a, r => r.status !== 'running', 120_000)
      // Status and reason together, so a rollback says why.
      expect(`${done.json.rollout.status as string}: ${done.json.rollout.reason as string}`).toMatch(/^promoted: /)
    } finally {
      writing = false
      await writer
    }
    const result = await load.stop()
    const seconds = (Date.now() - t0) / 1000
    console.log(`scoring: ${result.sent} requests in ${seconds.toFixed(1)} s (${Math.round(result.sent / seconds)} req/s), ${result.failed} not 200`)
    for (const [k, line] of Object.entries(ledger.summary())) console.log(`admin ${k}: ${line}`)
    expect(result.failures).toEqual([])
    expect(result.failed).toBe(0)

    const check = await checkLedger(b, TOKEN, ledger)
    const models = await adminCall(a, 'GET', '/admin/models')
    expectRevisionChain(check.audit.filter(e => e.action !== 'reseed'), models.json.revision as number)
    expect(ledger.ok().length).toBeGreaterThan(0)
    expect(fleet.gateways.every(g => g.alive())).toBe(true)
  }, 420_000)
})
