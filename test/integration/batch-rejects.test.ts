import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBatch } from '../../gateway/batch/run.js'
import { useOneModelGateway } from '../support/one-model-gateway.js'
import { FEATURE_COLUMNS, jobOptions, makeRows, readNdjson, writeCsv } from '../support/batch-files.js'

// Rows that cannot be scored go to the rejects file with their line number and
// the reason; the job goes on and scores every other row.

const setup = useOneModelGateway()
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batch-rejects-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

interface Reject { line: number, reason: string, input: string }

describe('malformed rows', () => {
  it('CSV: bad number, missing column, wrong field count, broken quote are rejected by line; the other rows are scored', async () => {
    const good = makeRows(1000)
    await writeCsv(join(dir, 'in.csv'), good)
    const text = (await readFile(join(dir, 'in.csv'), 'utf8')).split('\n')
    // Line numbers are 1-based and line 1 is the header: data row k is on line k + 2.
    text.splice(10, 0, '5001,user-x,abc,10,2,3.5')
    text.splice(20, 0, '5002,user-x,12.5,,2,3.5')
    text.splice(30, 0, '5003,user-x,12.5,10,2')
    text.splice(40, 0, '5004,"user-x,12.5,10,2,3.5')
    await writeFile(join(dir, 'in.csv'), text.join('\n'))

    const output = join(dir, 'out-csv.ndjson')
    const summary = await runBatch(jobOptions(dir, setup.gw.url, { input: join(dir, 'in.csv'), inputFormat: 'csv', output, rejects: `${output}.rejects`, checkpoint: `${output}.checkpoint` }))
    expect(summary).toMatchObject({ rows: 1000, rejects: 4, complete: true })

    const rejects = await readNdjson<Reject>(`${output}.rejects`)
    expect(rejects.map(r => r.line)).toEqual([11, 21, 31, 41])
    expect(rejects[0]!.reason).toBe('column "amount": "abc" is not a number')
    expect(rejects[1]!.reason).toBe('missing column "account_age_days"')
    expect(rejects[2]!.reason).toBe('5 fields where the header has 6')
    expect(rejects[3]!.reason).toMatch(/^not a CSV record: unterminated quoted field/)
    expect(rejects[0]!.input).toBe('5001,user-x,abc,10,2,3.5')
    const out = await readNdjson<{ id: string }>(output)
    expect(out.map(r => Number(r.id))).toEqual(good.map(r => r.id))
  })

  it('NDJSON: not JSON, a list of the wrong length, a missing column are rejected by line; the other rows are scored', async () => {
    const good = makeRows(500)
    const lines: string[] = good.map(r => JSON.stringify({ id: r.id, features: FEATURE_COLUMNS.map(c => r[c]) }))
    lines.splice(3, 0, '{"id": 9001, "amount": 1,')
    lines.splice(7, 0, JSON.stringify({ id: 9002, features: [1, 2, 3] }))
    lines.splice(9, 0, JSON.stringify({ id: 9003, amount: 1, account_age_days: 2, tx_last_24h: 3 }))
    await writeFile(join(dir, 'in.ndjson'), lines.join('\n') + '\n')

    const output = join(dir, 'out-ndjson.ndjson')
    const summary = await runBatch(jobOptions(dir, setup.gw.url, { output, rejects: `${output}.rejects`, checkpoint: `${output}.checkpoint`, map: new Map() }))
    // Without --map, the input "features" is read from the column of that name.
    expect(summary).toMatchObject({ rows: 500, rejects: 3, complete: true })
    const rejects = await readNdjson<Reject>(`${output}.rejects`)
    expect(rejects.map(r => [r.line, r.reason.replace(/:.*$/s, '')])).toEqual([
      [4, 'not JSON'],
      [8, 'input "features" needs 4 values per row, got 3 (from features)'],
      [10, 'missing column "features"']
    ])
    const out = await readNdjson<{ id: number }>(output)
    expect(out.map(r => r.id)).toEqual(good.map(r => r.id))
  })
})
