import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCheckpoint } from '../../gateway/batch/journal.js'
import { exitOf } from '../../scripts/processes/ready-process.js'
import { eventually } from '../support/eventually.js'
import { idCensus, readNdjson } from '../support/batch-files.js'
import { runBatchCli, startBatchStack, type BatchStack } from '../support/batch-job.js'

// SIGTERM to `model-gateway batch` while a model answers each batch in 200 ms:
// no batch is sent after the signal, the ones in flight finish, the checkpoint
// matches the files, the job exits 130 well inside a pod's grace period, and
// --resume then writes every row exactly once.
//
// Small batches (10 rows) keep about a hundred sealed batches waiting in the
// job's window, so a job that went on sending them would run for seconds more.

const ROWS = 5_000
const MODEL_DELAY_MS = 200
const BATCH_SIZE = 10
const CONCURRENCY = 4
/** The deadline the behaviour is for: in-flight batches take one model answer (200 ms); a pod's grace is 30 s. */
const EXIT_DEADLINE_MS = 2_000

let stack: BatchStack

beforeAll(async () => { stack = await startBatchStack(ROWS, MODEL_DELAY_MS) })
afterAll(async () => { await stack?.stop() })

/** Batches the gateway has seen for model fraud: answered plus in flight, from one scrape. */
async function fraudBatchesSeen (): Promise<number> {
  const text = await (await fetch(`${stack.gw.adminUrl}/metrics`)).text()
  return text.split('\n')
    .filter(l => (l.startsWith('model_gateway_requests_total{') || l.startsWith('model_gateway_requests_in_flight{')) && l.includes('model="fraud"'))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
}

describe('batch job stopped with SIGTERM', () => {
  it('sends no new batch after the signal, exits 130 within the deadline with a checkpoint that matches its files, and --resume writes every row exactly once', async () => {
    const checkpoint = join(stack.dir, 'out.ndjson.checkpoint.json')
    const first = runBatchCli(stack, ['--batch-size', String(BATCH_SIZE), '--concurrency', String(CONCURRENCY)])
    await eventually(async () => {
      const c = await readCheckpoint(checkpoint).catch(() => undefined)
      expect(c?.rows ?? 0).toBeGreaterThanOrEqual(200)
    }, { timeoutMs: 30_000, intervalMs: 20 })

    const sentBefore = await fraudBatchesSeen()
    const signalledAt = performance.now()
    first.child.kill('SIGTERM')
    const exit = await Promise.race([
      exitOf(first.child),
      new Promise<'still running'>(resolve => setTimeout(() => resolve('still running'), EXIT_DEADLINE_MS).unref())
    ])
    const exitMs = performance.now() - signalledAt
    if (exit === 'still running') await exitOf(first.child)
    console.log(`batch exited ${Math.round(exitMs)} ms after SIGTERM (model answers in ${MODEL_DELAY_MS} ms)`)
    expect(exit).toEqual({ code: 130, signal: null })
    expect(first.stderr()).toContain('interrupted; the checkpoint is written, continue with --resume')

    // Between the scrape and the moment the job handles the signal, each of the CONCURRENCY slots may be
    // refilled as its batch is answered: once per model answer (200 ms), twice allowed for a loaded machine.
    // A job that kept sending would add the hundred-odd batches waiting in its window.
    expect(await fraudBatchesSeen() - sentBefore).toBeLessThanOrEqual(2 * CONCURRENCY)

    // The checkpoint counts exactly the rows in the files: ids 0..rows-1, in order, each once.
    const atStop = (await readCheckpoint(checkpoint))!
    expect(atStop.done).toBe(false)
    expect(atStop.rows).toBeLessThan(ROWS)
    expect(JSON.parse(first.stdout())).toMatchObject({ complete: false, rows: atStop.rows })
    expect((await stat(join(stack.dir, 'out.ndjson'))).size).toBe(atStop.outputBytes)
    const partial = await readNdjson<{ id: number }>(join(stack.dir, 'out.ndjson'))
    expect(partial.map(r => r.id)).toEqual([...Array(atStop.rows).keys()])

    const second = runBatchCli(stack, ['--resume', '--batch-size', '250'])
    expect({ exit: await exitOf(second.child), stderr: second.stderr() }).toEqual({ exit: { code: 0, signal: null }, stderr: '' })
    expect(JSON.parse(second.stdout())).toMatchObject({ resumed: true, complete: true, rows: ROWS, rejects: 0 })
    const out = await readNdjson<{ id: number }>(join(stack.dir, 'out.ndjson'))
    const { ids, duplicates } = idCensus(out)
    expect(duplicates).toEqual([])
    expect(ids.size).toBe(ROWS)
    expect(out.map(r => r.id)).toEqual([...Array(ROWS).keys()])
    expect(await readFile(join(stack.dir, 'out.ndjson.rejects.ndjson'), 'utf8')).toBe('')
  }, 120_000)
})
