import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBatch } from '../../gateway/batch/run.js'
import { useOneModelGateway } from '../support/one-model-gateway.js'
import { directScores, idCensus, jobOptions, makeRows, readNdjson, writeNdjson, type InputRow } from '../support/batch-files.js'

// 100,000 rows through the gateway in micro-batches of 256 come out once each,
// in input order, with the prediction the model gives for the row directly.

const ROWS = 100_000
const setup = useOneModelGateway()
let dir: string
let rows: InputRow[]

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batch-once-'))
  rows = makeRows(ROWS)
  await writeNdjson(join(dir, 'in.ndjson'), rows)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('batch job over 100,000 rows', () => {
  it('writes every row exactly once, in input order, with the prediction the model gives directly and version v1', async () => {
    const summary = await runBatch(jobOptions(dir, setup.gw.url))
    expect(summary).toMatchObject({ rows: ROWS, rejects: 0, complete: true, versions: { v1: ROWS } })

    const out = await readNdjson<{ id: number, fraud_probability: number, model_version: string }>(join(dir, 'out.ndjson'))
    expect(out).toHaveLength(ROWS)
    const { ids, duplicates } = idCensus(out)
    expect(duplicates).toEqual([])
    expect(ids.size).toBe(ROWS)
    expect(out.map(r => r.id)).toEqual(rows.map(r => r.id))

    const direct = await directScores(setup.model.url, rows)
    const mismatches = out.filter((r, i) => r.fraud_probability !== direct[i]).slice(0, 5)
    expect(mismatches).toEqual([])
    expect(new Set(out.map(r => r.model_version))).toEqual(new Set(['v1']))
    expect(await readFile(join(dir, 'out.ndjson.rejects.ndjson'), 'utf8')).toBe('')
  })
})
