import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBatch } from '../../gateway/batch/run.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { FRAUD_REQUEST } from '../support/oip.js'
import { jobOptions, makeRows, writeNdjson } from '../support/batch-files.js'

// A batch job's requests reach the gateway's scoring log as traffic 'batch',
// in the same records and rollups as real-time requests, which stay 'live'.
// The embedded file sink stands in for Kafka; every request is sampled.

const ROWS = 1_000
const LIVE = 5
let model: ModelProcess
let gw: GatewayProcess
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batch-logged-'))
  await writeNdjson(join(dir, 'in.ndjson'), makeRows(ROWS))
  model = await startModel({ version: 'v1' })
  gw = await startGatewayProcess({
    logging: { sink: 'file', file: join(dir, 'scoring.ndjson') },
    models: {
      fraud: {
        versions: { v1: { replicas: [model.url] } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { enabled: false },
        sampling: { rate: 1 }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('batch traffic in the scoring log', () => {
  it('records and rollups count the job\'s requests as batch and real-time requests as live', async () => {
    const summary = await runBatch(jobOptions(dir, gw.url, { batchSize: 100 }))
    expect(summary).toMatchObject({ rows: ROWS, requests: ROWS / 100 })
    for (let i = 0; i < LIVE; i++) {
      const res = await request(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST })
      expect(res.statusCode).toBe(200)
      await res.body.text()
    }
    // Stopping the gateway flushes its buffer and rollups to the file.
    expect((await gw.stop()).code).toBe(0)

    const lines = (await readFile(join(dir, 'scoring.ndjson'), 'utf8')).trim().split('\n').map(l => JSON.parse(l) as { kind: string, row: Record<string, unknown> })
    // The job's scoring requests; its metadata read before them scores nothing and is not counted.
    const jobRequests = summary.requests
    const records = lines.filter(l => l.kind === 'records').map(l => l.row)
    expect(records.filter(r => r.traffic === 'batch')).toHaveLength(jobRequests)
    expect(records.filter(r => r.traffic === 'live')).toHaveLength(LIVE)

    // Rollup rows are cumulative per cell: the one with the highest flush_seq holds the total.
    const cells = new Map<string, { seq: number, n: number, traffic: string }>()
    for (const { row } of lines.filter(l => l.kind === 'rollups')) {
      const k = `${row.traffic}/${row.version}/${row.minute}/${row.status_class}`
      if ((cells.get(k)?.seq ?? -1) < (row.flush_seq as number)) cells.set(k, { seq: row.flush_seq as number, n: row.requests as number, traffic: row.traffic as string })
    }
    const total = (traffic: string): number => [...cells.values()].filter(c => c.traffic === traffic).reduce((a, c) => a + c.n, 0)
    expect({ batch: total('batch'), live: total('live') }).toEqual({ batch: jobRequests, live: LIVE })
  })
})
