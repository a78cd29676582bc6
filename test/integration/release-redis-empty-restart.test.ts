// Redis is killed (SIGKILL) mid-rollout and comes back empty (no persistence).
// The two gateways send their audit entries and rollout decisions through the
// scoring pipeline (Kafka, the sink) into ClickHouse's control_log, and read it
// back: afterwards the audit log and `rollout explain` still show every entry
// from before, the reseed that put the state back is itself audited, and the
// rollout completes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceEnv, signalService, startService } from '../../scripts/services/control.js'
import { eventually } from '../support/eventually.js'
import { dropIsolated, isolated, startSink, type Isolated, type SinkProcess } from './pipeline-harness.js'
import { adminCall, backgroundLoad, fastPlan, journalOf, startFleet, startRollout, waitForRollout, warm, type BackgroundLoad, type Fleet, type JournalView } from './release-harness.js'

interface AuditView { operationId?: string, action: string, actor: string, revisionAfter: number, detail: Record<string, unknown> }

const journalKey = (e: JournalView): string => `${e.at}/${e.instanceId}/${e.action}/${e.step}`

describe('Redis killed and restarted empty mid-rollout', () => {
  let fleet: Fleet
  let iso: Isolated
  let sink: SinkProcess
  let down = false

  beforeAll(async () => {
    iso = await isolated('control_restart')
    sink = await startSink(iso)
    const env = serviceEnv()
    // Judged on each instance's own traffic: with a pipeline and CLICKHOUSE_URL the default would be the fleet-wide source.
    fleet = await startFleet(2, env.REDIS_URL, { source: 'local' }, {
      logging: { sink: 'kafka', kafkaBrokers: env.KAFKA_BROKERS.split(','), topicPrefix: iso.prefix, flushIntervalMs: 200 },
      state: () => ({ controlLog: { clickhouseUrl: env.CLICKHOUSE_URL, clickhouseDatabase: iso.db } })
    })
  }, 120_000)

  afterAll(async () => {
    if (down) await startService('redis')
    await fleet?.stop()
    await sink?.stop()
    await dropIsolated(iso)
  })

  it('keeps every audit entry and decision from before in audit and explain, audits the reseed, and completes the rollout', async () => {
    const loads: BackgroundLoad[] = fleet.gateways.map(g => backgroundLoad(g.url, { concurrency: 3, maxMs: 180_000 }))
    const [a, b] = fleet.gateways as [typeof fleet.gateways[0], typeof fleet.gateways[0]]
    try {
      await Promise.all(loads.map(l => warm(l, 150)))
      // Some history before the rollout: a version registered and retired again.
      expect((await adminCall(b, 'POST', '/admin/models/fraud/versions', { name: 'v9', replicas: [fleet.canary.url] })).status).toBe(201)
      expect((await adminCall(b, 'DELETE', '/admin/models/fraud/versions/v9')).status).toBe(200)
      expect((await startRollout(a, fastPlan({ steps: [{ weight: '20%', bake: '10s' }, { weight: '50%', bake: '5s' }] }))).status).toBe(201)
      // Mid-rollout, with decisions in the journal.
      await eventually(async () => expect((await journalOf(a)).filter(e => e.action === 'wait').length).toBeGreaterThanOrEqual(6), { timeoutMs: 30_000 })
      const auditBefore = (await adminCall(a, 'GET', '/admin/audit?limit=1000')).json.entries as AuditView[]
      const journalBefore = await journalOf(a)
      expect(auditBefore.map(e => e.action)).toContain('rollout-start')

      signalService('redis', 'SIGKILL')
      down = true
      await eventually(async () => expect((await adminCall(b, 'GET', '/admin/models')).json.store.available).toBe(false), { timeoutMs: 10_000, intervalMs: 200 })
      // With Redis gone, the audit log still answers: from the durable copy alone.
      await eventually(async () => {
        const res = await adminCall(b, 'GET', '/admin/audit?limit=1000')
        expect(res.status).toBe(200)
        const ids = new Set((res.json.entries as AuditView[]).map(e => e.operationId))
        expect(auditBefore.filter(e => !ids.has(e.operationId))).toEqual([])
      }, { timeoutMs: 30_000, intervalMs: 500 })
      await startService('redis')
      down = false

      // Back empty: an instance seeds it again with the state it has, and says so in the audit log.
      const reseed = await eventually(async () => {
        const entries = (await adminCall(b, 'GET', '/admin/audit?limit=1000')).json.entries as AuditView[]
        const r = entries.find(e => e.action === 'reseed')
        expect(r).toBeDefined()
        return r!
      }, { timeoutMs: 20_000, intervalMs: 250 })
      expect(reseed.actor).toMatch(/^state-store@gw-/)
      expect(reseed.detail).toMatchObject({ reason: 'Redis held no routing state' })

      // Everything from before, read back from ClickHouse beside what Redis holds now.
      await eventually(async () => {
        const after = (await adminCall(b, 'GET', '/admin/audit?limit=1000')).json.entries as AuditView[]
        const ids = new Set(after.map(e => e.operationId))
        expect(auditBefore.filter(e => !ids.has(e.operationId))).toEqual([])
        const explained = new Set((await journalOf(b)).map(journalKey))
        expect(journalBefore.filter(e => !explained.has(journalKey(e))).map(journalKey)).toEqual([])
      }, { timeoutMs: 30_000, intervalMs: 500 })
      console.log(`after the empty restart: ${auditBefore.length} audit entries and ${journalBefore.length} decisions from before still shown; reseed by ${reseed.actor} at revision ${reseed.revisionAfter}`)

      const done = await waitForRollout(a, r => r.status !== 'running', 90_000)
      // Status and reason together, so a rollback says why.
      expect(`${done.json.rollout.status as string}: ${done.json.rollout.reason as string}`).toMatch(/^promoted: /)
    } finally {
      await Promise.all(loads.map(l => l.stop()))
    }
    expect([...loads.flatMap(l => [...l.statuses.keys()])].filter(s => s !== 200)).toEqual([])
  }, 240_000)
})
