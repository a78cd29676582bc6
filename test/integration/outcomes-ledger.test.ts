// The assignment ledger through the real pipeline: with records sampled at 1%,
// every live request still lands on the ledger exactly once, with the version
// that answered it, the user's sticky bucket under the release's seed, and the
// prediction the model returned; batch traffic does not. With logging.sink
// file, ledger rows and accepted outcomes go to the scoring-log file.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess } from '../support/gateway-process.js'
import { bucketOf } from '../../gateway/routing/buckets.js'
import { startLoad } from '../support/load.js'
import { dropIsolated, isolated, startSink, type Isolated, type SinkProcess } from './pipeline-harness.js'
import { ADMIN_TOKEN, inferBody, features, outcomesConfig, postOutcomes, scoreRequests, waitForLedger } from './outcomes-harness.js'

let models: ModelProcess[] = []
let iso: Isolated | undefined
let sink: SinkProcess | undefined
let dir = ''

beforeAll(async () => {
  models = [await startModel({ version: 'v1' }), await startModel({ version: 'v2', extraArgs: ['--weights', 'v2'] })]
  dir = await mkdtemp(join(tmpdir(), 'ledger-'))
})
afterAll(async () => {
  await sink?.stop()
  await Promise.allSettled(models.map(m => m.stop()))
  await dropIsolated(iso)
  if (dir !== '') await rm(dir, { recursive: true, force: true })
})

describe('the assignment ledger', () => {
  it('holds every live request once, with its version, sticky bucket and prediction, though records are sampled at 1%; batch traffic stays off it', async () => {
    iso = await isolated('oledger')
    sink = await startSink(iso)
    const gw = await startGatewayProcess(outcomesConfig({ iso, versions: { v1: [models[0]!.url], v2: [models[1]!.url] }, canary: { version: 'v2', weight: 3000 }, sampling: { rate: 0.01 } }))
    try {
      const scored = await scoreRequests(gw.url, 400, { idPrefix: 'led' })
      const batch = await startLoad({ url: gw.url, maxRequests: 30, maxMs: 30_000, request: i => ({ headers: { 'x-request-id': `batch-${i}`, 'x-gateway-traffic': 'batch' }, body: inferBody(features(i)) }) }).done
      expect(batch.statuses).toEqual({ 200: 30 })
      await waitForLedger(iso, scored.length)
      const view = await (await fetch(`${gw.adminUrl}/admin/models/fraud`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json() as { model: { seed: number } }
      const seed = view.model.seed
      const rows = await iso.ch.select<{ request_id: string, version: string, bucket: number, prediction: number, has_prediction: number, n: string }>(`SELECT request_id, any(version) AS version, any(bucket) AS bucket, any(prediction) AS prediction, any(has_prediction) AS has_prediction, count() AS n FROM ${iso.db}.ledger FINAL GROUP BY request_id`)
      expect(rows.filter(r => r.request_id.startsWith('batch-'))).toEqual([])
      const byId = new Map(rows.map(r => [r.request_id, r]))
      expect(rows).toHaveLength(scored.length)
      for (const s of scored) {
        const r = byId.get(s.id)!
        expect({ id: s.id, version: r.version, bucket: Number(r.bucket), prediction: Number(r.prediction), has: Number(r.has_prediction), n: Number(r.n) })
          .toEqual({ id: s.id, version: s.version, bucket: bucketOf(`user-${s.i}`, seed), prediction: s.prediction, has: 1, n: 1 })
      }
      const sampled = await iso.ch.select<{ n: string }>(`SELECT count() AS n FROM ${iso.db}.records`)
      expect(Number(sampled[0]!.n)).toBeLessThan(scored.length / 4)
    } finally {
      await gw.stop()
    }
  }, 180_000)

  it('with logging.sink file, ledger rows and accepted outcomes are lines of the scoring-log file', async () => {
    const file = join(dir, 'log.ndjson')
    const iso2 = { env: { KAFKA_BROKERS: '127.0.0.1:1' }, prefix: 'unused' } as Isolated
    const gw = await startGatewayProcess(outcomesConfig({ iso: iso2, versions: { v1: [models[0]!.url] }, logging: { sink: 'file', file } }))
    try {
      const scored = await scoreRequests(gw.url, 20, { idPrefix: 'file' })
      expect(await postOutcomes(gw.url, scored.map(s => ({ id: s.id, label: 1 })))).toEqual({ status: 200, json: { accepted: 20, model: 'fraud' } })
    } finally {
      await gw.stop()
    }
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as { kind: string, row: Record<string, unknown> })
    const ledger = lines.filter(l => l.kind === 'ledger').map(l => l.row)
    const outcomes = lines.filter(l => l.kind === 'outcomes').map(l => l.row)
    expect(ledger.map(r => r.request_id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `file-${i}`).sort())
    expect(ledger.every(r => r.version === 'v1' && typeof r.prediction === 'number')).toBe(true)
    expect(outcomes.map(r => r.id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `file-${i}`).sort())
    expect(outcomes[0]).toMatchObject({ model: 'fraud', label: 1 })
  }, 120_000)
})
