import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCheckpoint } from '../../gateway/batch/journal.js'
import { exitOf } from '../../scripts/processes/ready-process.js'
import { eventually } from '../support/eventually.js'
import { idCensus, readNdjson } from '../support/batch-files.js'
import { runBatchCli, startBatchStack, type BatchStack } from '../support/batch-job.js'

// The batch CLI SIGKILLed mid-job, then run again with --resume, leaves every
// row in the output exactly once. The model answers after 20 ms, so the job
// runs for seconds and the kill lands in the middle of it. The resumed run uses
// larger batches: the batch size is not part of what a checkpoint pins.

const ROWS = 20_000
let stack: BatchStack

beforeAll(async () => { stack = await startBatchStack(ROWS, 20) })
afterAll(async () => { await stack?.stop() })

const JOB = ['--batch-size', '100', '--concurrency', '2']

describe('batch job killed and resumed', () => {
  it('writes every row exactly once across the killed run and the resumed one', async () => {
    const checkpoint = join(stack.dir, 'out.ndjson.checkpoint.json')
    const first = runBatchCli(stack, JOB).child
    await eventually(async () => {
      const c = await readCheckpoint(checkpoint).catch(() => undefined)
      expect(c?.rows ?? 0).toBeGreaterThanOrEqual(1000)
    }, { timeoutMs: 20_000, intervalMs: 10 })
    first.kill('SIGKILL')
    expect((await exitOf(first)).signal).toBe('SIGKILL')
    const atKill = await readCheckpoint(checkpoint)
    expect(atKill?.done).toBe(false)
    expect(atKill!.rows).toBeLessThan(ROWS)

    const second = runBatchCli(stack, ['--resume', '--batch-size', '1000', '--concurrency', '4'])
    const exit = await exitOf(second.child)
    expect({ exit, stderr: second.stderr() }).toEqual({ exit: { code: 0, signal: null }, stderr: '' })
    expect(JSON.parse(second.stdout())).toMatchObject({ resumed: true, complete: true, rows: ROWS, rejects: 0 })

    const out = await readNdjson<{ id: number }>(join(stack.dir, 'out.ndjson'))
    const { ids, duplicates } = idCensus(out)
    expect(duplicates).toEqual([])
    expect(ids.size).toBe(ROWS)
    expect(out.map(r => r.id)).toEqual([...Array(ROWS).keys()])
    expect(await readFile(join(stack.dir, 'out.ndjson.rejects.ndjson'), 'utf8')).toBe('')
  })
})
