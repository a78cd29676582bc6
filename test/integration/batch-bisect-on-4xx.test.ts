import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBatch } from '../../gateway/batch/run.js'
import { useOneModelGateway } from '../support/one-model-gateway.js'
import { idCensus, jobOptions, makeRows, readNdjson, writeNdjson } from '../support/batch-files.js'

// A micro-batch the gateway refuses with a 4xx (here 413: the model's body
// limit is 4 KiB, a 256-row request about 9 KiB) is halved until the parts
// are accepted: every row is still scored, none rejected.

const ROWS = 2_000
const setup = useOneModelGateway({ bodyLimitBytes: 4096 })
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batch-bisect-'))
  await writeNdjson(join(dir, 'in.ndjson'), makeRows(ROWS))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('a micro-batch refused with 413', () => {
  it('is halved until accepted: every row scored once, no rejects, more requests than batches', async () => {
    const summary = await runBatch(jobOptions(dir, setup.gw.url, { batchSize: 256 }))
    expect(summary).toMatchObject({ rows: ROWS, rejects: 0, complete: true })
    expect(summary.requests).toBeGreaterThan(Math.ceil(ROWS / 256) * 2)
    const { ids, duplicates } = idCensus(await readNdjson<{ id: number }>(join(dir, 'out.ndjson')))
    expect(duplicates).toEqual([])
    expect(ids.size).toBe(ROWS)
  })
})
