import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { ControlLog, entriesOf, mergeNewest, type ControlLogReader } from '../../gateway/control/control-log.js'
import { ControlLogFile } from '../../gateway/control/control-log-file.js'
import { controlRow, type ControlRow } from '../../gateway/observe/control-row.js'

// The durable control log: rows reach every sink (the pipeline gets what came
// before it was attached), read back newest first by kind, model and id, and
// merged with Redis's copy one entry per identity.

const logger = pino({ level: 'silent' })
const dirs: string[] = []
afterEach(async () => { await Promise.all(dirs.splice(0).map(d => rm(d, { recursive: true, force: true }))) })

function row (kind: 'audit' | 'journal', id: string, at: number, model = 'fraud'): ControlRow {
  return controlRow(kind, { id, at, model, instanceId: 'gw-1', action: 'canary' }, { id, at })
}

describe('mergeNewest', () => {
  it('keeps each entry once, newest first, at most the limit', () => {
    const key = (e: { id: string }): string => e.id
    const at = (e: { at: number }): number => e.at
    const redis = [{ id: 'c', at: 30 }, { id: 'b', at: 20 }]
    const durable = [{ id: 'b', at: 20 }, { id: 'a', at: 10 }, { id: 'z', at: 5 }]
    expect(mergeNewest(redis, durable, key, at, 3).map(key)).toEqual(['c', 'b', 'a'])
    expect(mergeNewest([], durable, key, at, 10).map(key)).toEqual(['b', 'a', 'z'])
  })
})

describe('ControlLog', () => {
  it('holds rows for the pipeline until it is attached, then passes every row', () => {
    const log = new ControlLog({ sinks: [], reader: null, logger, awaitPipeline: true })
    log.append(row('audit', 'early', 1))
    const got: string[] = []
    log.attachPipeline({ control: r => { got.push(r.id) } })
    log.append(row('audit', 'late', 2))
    expect(got).toEqual(['early', 'late'])
  })

  it('answers a failing reader with its error instead of throwing, and no reader with null', async () => {
    const failing: ControlLogReader = { name: 'failing', read: async () => { throw new Error('connection refused') }, close: async () => {} }
    expect(await new ControlLog({ sinks: [], reader: failing, logger, awaitPipeline: false }).read({ kind: 'audit', limit: 5 })).toEqual({ source: 'failing', error: 'connection refused' })
    expect(await new ControlLog({ sinks: [], reader: null, logger, awaitPipeline: false }).read({ kind: 'audit', limit: 5 })).toBeNull()
  })
})

describe('ControlLogFile', () => {
  it('reads back what it appended: by kind, model and id, newest first, skipping damaged lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'control-log-'))
    dirs.push(dir)
    const path = join(dir, 'control.ndjson')
    await writeFile(path, '')
    const f = new ControlLogFile(path, logger)
    f.control(row('audit', 'a1', 1_000))
    f.control(row('journal', 'j1', 2_000))
    f.control(row('audit', 'a2', 3_000, 'churn'))
    await f.flush()
    await appendFile(path, '{"half a line\n')
    f.control(row('audit', 'a3', 4_000))
    expect((await f.read({ kind: 'audit', limit: 10 })).map(r => r.id)).toEqual(['a3', 'a2', 'a1'])
    expect((await f.read({ kind: 'audit', model: 'fraud', limit: 10 })).map(r => r.id)).toEqual(['a3', 'a1'])
    expect((await f.read({ kind: 'audit', limit: 2 })).map(r => r.id)).toEqual(['a3', 'a2'])
    expect((await f.read({ kind: 'audit', id: 'a1', limit: 10 })).map(r => r.id)).toEqual(['a1'])
    expect(entriesOf<{ id: string, at: number }>(await f.read({ kind: 'journal', limit: 10 }))).toEqual([{ id: 'j1', at: 2_000 }])
    await f.close()
  })

  it('reads a file that does not exist yet as empty', async () => {
    const f = new ControlLogFile(join(tmpdir(), `absent-${Date.now()}`, 'x.ndjson'), logger)
    expect(await f.read({ kind: 'audit', limit: 5 })).toEqual([])
  })
})
