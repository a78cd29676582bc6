import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBatch } from '../../gateway/batch/run.js'
import { useOneModelGateway } from '../support/one-model-gateway.js'
import { idCensus, jobOptions, makeRows, readNdjson, writeCsv, writeNdjson } from '../support/batch-files.js'

// Four workers, each given --partition i/4, score disjoint sets of rows whose
// union is the whole input: by hash of a key column, and by byte ranges (CSV,
// whose header line every worker reads but none scores).

const ROWS = 12_000
const COUNT = 4
const setup = useOneModelGateway()
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batch-partitions-'))
  const rows = makeRows(ROWS)
  await writeNdjson(join(dir, 'in.ndjson'), rows)
  await writeCsv(join(dir, 'in.csv'), rows)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function scoreAll (by: 'hash' | 'bytes', input: string): Promise<Array<Array<{ id: number | string, user: string }>>> {
  const parts = []
  for (let index = 0; index < COUNT; index++) {
    const output = join(dir, `${by}-${index}.ndjson`)
    await runBatch(jobOptions(dir, setup.gw.url, {
      input: join(dir, input),
      inputFormat: input.endsWith('.csv') ? 'csv' : 'ndjson',
      output,
      rejects: `${output}.rejects`,
      checkpoint: `${output}.checkpoint`,
      keep: ['id', 'user'],
      partition: { index, count: COUNT },
      partitionBy: by,
      partitionKey: 'user'
    }))
    parts.push(await readNdjson<{ id: number | string, user: string }>(output))
  }
  return parts
}

describe('4 partitions of one input', () => {
  it('by hash of the user column: disjoint, union is every row, each user in one partition', async () => {
    const parts = await scoreAll('hash', 'in.ndjson')
    const { ids, duplicates } = idCensus(parts.flat())
    expect(duplicates).toEqual([])
    expect(ids.size).toBe(ROWS)
    for (const p of parts) expect(p.length).toBeGreaterThan(ROWS / COUNT / 2)
    const owner = new Map<string, number>()
    parts.forEach((p, i) => p.forEach(r => {
      expect(owner.get(r.user) ?? i).toBe(i)
      owner.set(r.user, i)
    }))
  })

  it('by byte ranges of a CSV: disjoint, union is every row', async () => {
    const parts = await scoreAll('bytes', 'in.csv')
    const { ids, duplicates } = idCensus(parts.flat().map(r => ({ id: Number(r.id) })))
    expect(duplicates).toEqual([])
    expect(ids.size).toBe(ROWS)
    for (const p of parts) expect(p.length).toBeGreaterThan(ROWS / COUNT / 2)
  })
})
