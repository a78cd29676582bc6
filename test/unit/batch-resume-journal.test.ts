import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { jobIdentity, openJournal } from '../../gateway/batch/job.js'
import { CHECKPOINT_FORMAT, readCheckpoint, ResumeError } from '../../gateway/batch/journal.js'
import type { BatchOptions } from '../../gateway/batch/options.js'
import type { Source } from '../../gateway/batch/source.js'
import { jobOptions } from '../support/batch-files.js'

// The journal stage: output, rejects and checkpoint of a job in a temporary
// directory; a resume continues from the checkpoint of the same job only.

const SOURCE: Source = { size: 1000, mtimeMs: 1_700_000_000_000, header: undefined, start: 0, end: 1000, firstLine: 1 }
const OUTPUTS = ['score']
const HEADER = 'id,score,model_version\n'

let dir: string
let o: BatchOptions

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batch-journal-'))
  o = jobOptions(dir, 'http://127.0.0.1:1', { resume: true })
})
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

describe('batch journal and resume', () => {
  it('starts a new job with the header written and an empty checkpoint at the partition start', async () => {
    const journal = await openJournal({ ...o, resume: false }, { ...SOURCE, start: 200, firstLine: 9 }, OUTPUTS, HEADER)
    await journal.close()
    expect(journal.resumed).toBe(false)
    expect(await readFile(o.output, 'utf8')).toBe(HEADER)
    expect(await readCheckpoint(o.checkpoint)).toEqual({
      format: CHECKPOINT_FORMAT, job: jobIdentity(o, SOURCE, OUTPUTS), inputOffset: 200, line: 9, outputBytes: HEADER.length, rejectsBytes: 0, rows: 0, rejects: 0, done: false
    })
  })

  it('resumes from the checkpoint: files cut back to its lengths, reading at its offset, counts kept', async () => {
    const first = await openJournal(o, SOURCE, OUTPUTS, HEADER)
    first.add('1,0.5,v1\n', undefined, 10, 2)
    first.add(undefined, '{"line":2}\n', 20, 3)
    await first.flush()
    // Written after the checkpoint, as by a run killed before its next flush.
    await writeFile(o.output, `${HEADER}1,0.5,v1\n3,0.7,v1\n`)
    await writeFile(o.rejects, '{"line":2}\n{"line":4}\n')
    await first.close()

    const second = await openJournal(o, SOURCE, OUTPUTS, HEADER)
    await second.close()
    expect(second.resumed).toBe(true)
    expect(second.state).toMatchObject({ inputOffset: 20, line: 3, rows: 1, rejects: 1, done: false })
    expect(await readFile(o.output, 'utf8')).toBe(`${HEADER}1,0.5,v1\n`)
    expect(await readFile(o.rejects, 'utf8')).toBe('{"line":2}\n')
  })

  it('reports a job the checkpoint marks done as done on resume', async () => {
    const first = await openJournal(o, SOURCE, OUTPUTS, HEADER)
    first.add('1,0.5,v1\n', undefined, 1000, 2)
    await first.flush(true)
    await first.close()
    const second = await openJournal(o, SOURCE, OUTPUTS, HEADER)
    await second.close()
    expect(second.state.done).toBe(true)
  })

  it('refuses to resume the checkpoint of another job, naming what differs', async () => {
    await (await openJournal(o, SOURCE, OUTPUTS, HEADER)).close()
    const other = openJournal({ ...o, keep: ['user'] }, SOURCE, OUTPUTS, HEADER)
    await expect(other).rejects.toThrow(ResumeError)
    await expect(openJournal({ ...o, keep: ['user'] }, SOURCE, OUTPUTS, HEADER)).rejects.toThrow(/belongs to another job \(keep: \["id"\] then, \["user"\] now\)/)
  })

  it('refuses to resume when the input file changed since the checkpoint', async () => {
    await (await openJournal(o, SOURCE, OUTPUTS, HEADER)).close()
    await expect(openJournal(o, { ...SOURCE, size: 1001 }, OUTPUTS, HEADER)).rejects.toThrow(/inputSize: 1000 then, 1001 now/)
  })

  it('names a job by its partition, so workers of one input never share a checkpoint', () => {
    const a = jobIdentity({ ...o, partition: { index: 0, count: 2 }, partitionBy: 'hash', partitionKey: 'user' }, SOURCE, OUTPUTS)
    const b = jobIdentity({ ...o, partition: { index: 1, count: 2 }, partitionBy: 'hash', partitionKey: 'user' }, SOURCE, OUTPUTS)
    expect(a.partition).toBe('0/2 by hash of user')
    expect(b.partition).toBe('1/2 by hash of user')
    expect(jobIdentity({ ...o, partition: { index: 1, count: 4 }, partitionBy: 'bytes' }, SOURCE, OUTPUTS).partition).toBe('1/4 by bytes')
  })
})
