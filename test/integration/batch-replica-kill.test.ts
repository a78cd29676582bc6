import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBatch } from '../../gateway/batch/run.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { idCensus, jobOptions, makeRows, readNdjson, writeNdjson } from '../support/batch-files.js'

// One of two replicas SIGKILLed while a batch job runs through the gateway:
// batches that failed with it are retried, and every row comes out once.
// Health checks are off; the gateway's retry, its outlier ejection and the
// batch job's own retries are what keep the rows.

const ROWS = 20_000
const models: ModelProcess[] = []
let gw: GatewayProcess
let dir: string

beforeAll(async () => {
  models.push(...await Promise.all([startModel({ version: 'v1', delayMs: 5 }), startModel({ version: 'v1', delayMs: 5 })]))
  gw = await startGatewayProcess({
    models: {
      fraud: {
        versions: { v1: { replicas: models.map(m => m.url) } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { enabled: false }
      }
    }
  })
  dir = await mkdtemp(join(tmpdir(), 'batch-replica-kill-'))
  await writeNdjson(join(dir, 'in.ndjson'), makeRows(ROWS))
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all(models.map(m => m.stop()))
  await rm(dir, { recursive: true, force: true })
})

describe('a model replica killed mid-job', () => {
  it('loses no row: every row is written exactly once', async () => {
    const output = join(dir, 'out.ndjson')
    const job = runBatch(jobOptions(dir, gw.url, { batchSize: 50, concurrency: 8, backoffMs: 20 }))
    let finished = false
    job.then(() => { finished = true }, () => { finished = true })
    await eventually(async () => {
      expect(finished || ((await stat(output).catch(() => undefined))?.size ?? 0) > 0).toBe(true)
    }, { intervalMs: 10 })
    expect(finished).toBe(false)
    models[1]!.kill('SIGKILL')
    const summary = await job

    expect(summary).toMatchObject({ rows: ROWS, rejects: 0, complete: true })
    const out = await readNdjson<{ id: number }>(output)
    const { ids, duplicates } = idCensus(out)
    expect(duplicates).toEqual([])
    expect(ids.size).toBe(ROWS)
  })
})
