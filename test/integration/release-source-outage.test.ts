import { afterEach, describe, expect, it } from 'vitest'
import { restoreServices, stopService } from '../../scripts/services/control.js'
import { dropIsolated, isolated, startSink, waitFor, type Isolated, type SinkProcess } from './pipeline-harness.js'
import { backgroundLoad, fastPlan, journalOf, startSetup, startRollout, waitForRollout, warm, type ReleaseSetup } from './release-harness.js'

// Analysis from ClickHouse, fed by the gateway through Kafka and the sink.
// When the pipeline stops answering (ClickHouse down) or stops moving (Kafka
// down: the newest data goes stale), the rollout holds its weight, never
// advances, and rolls back once noDataRollbackAfter has passed.

// A first step long enough that the outage (stopping a server takes seconds) begins inside it.
/** Room for restoring the stopped service: a stop that ends in SIGKILL plus a start, on a loaded machine. */
const RESTORE_TIMEOUT_MS = 150_000

const PLAN = fastPlan({ steps: [{ weight: '20%', bake: '30s' }, { weight: '50%', bake: '8s' }], interval: '1s', noDataRollbackAfter: '10s' })

describe('analysis source down mid-rollout', () => {
  let iso: Isolated | undefined
  let sink: SinkProcess | undefined
  let s: ReleaseSetup | undefined
  afterEach(async () => {
    // The stopped service answers again before anything else, or this fails naming it.
    await restoreServices()
    await s?.stop()
    await sink?.stop()
    await dropIsolated(iso)
  }, RESTORE_TIMEOUT_MS)

  for (const service of ['clickhouse', 'kafka'] as const) {
    it(`${service} stopped: the rollout holds at its weight, never advances, and rolls back after noDataRollbackAfter`, async () => {
      iso = await isolated(`ro${service}`)
      sink = await startSink(iso)
      s = await startSetup({}, 0, {
        logging: { sink: 'kafka', kafkaBrokers: iso.env.KAFKA_BROKERS.split(','), topicPrefix: iso.prefix, rollupFlushMs: 1000, flushIntervalMs: 100 },
        rollouts: { source: 'clickhouse', clickhouseUrl: iso.env.CLICKHOUSE_URL, clickhouseDatabase: iso.db, staleAfterMs: 5000 }
      })
      const load = backgroundLoad(s.gw.url, { concurrency: 4 })
      try {
        await warm(load)
        await waitFor('records in ClickHouse', () => iso!.ch.select<{ n: string }>(`SELECT count() AS n FROM ${iso!.db}.records`), r => Number(r[0]!.n) > 100, 45_000)
        expect((await startRollout(s.gw, PLAN)).status).toBe(201)
        // The source answers with fresh data before the outage.
        await waitFor('an analysis with data', () => journalOf(s!.gw), j => j.some(e => e.action === 'wait' || e.action === 'extend'), 30_000)
        await stopService(service)
        const done = await waitForRollout(s.gw, r => r.status !== 'running', 90_000)
        expect(done.json.rollout.status).toBe('rolled-back')
        expect(done.json.rollout.reason).toMatch(/^no usable data for .*noDataRollbackAfter is 10\.0s/)
        const journal = await journalOf(s.gw)
        const firstNoData = journal.findIndex(e => e.action === 'no-data')
        expect(firstNoData).toBeGreaterThan(0)
        // From the first analysis without data on: only holding, then the rollback, at the same step.
        expect(journal.slice(firstNoData).map(e => e.action).filter(a => a !== 'no-data')).toEqual(['rollback'])
        expect(done.json.rollout.step).toBe(journal[firstNoData]!.step)
        expect(journal.some(e => e.action === 'promote')).toBe(false)
      } finally {
        await load.stop()
      }
    }, 180_000)
  }
})
