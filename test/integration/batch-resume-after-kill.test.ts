import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCheckpoint } from '../../gateway/batch/journal.js'
import { exitOf, repoRoot } from '../../scripts/processes/ready-process.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { idCensus, makeRows, MAP_ARG, readNdjson, writeNdjson } from '../support/batch-files.js'

// The batch CLI SIGKILLed mid-job, then run again with --resume, leaves every
// row in the output exactly once. The model answers after 20 ms, so the job
// runs for seconds and the kill lands in the middle of it. The resumed run uses
// larger batches: the batch size is not part of what a checkpoint pins.

const ROWS = 20_000
let model: ModelProcess
let gw: GatewayProcess
let dir: string

beforeAll(async () => {
  model = await startModel({ version: 'v1', delayMs: 20 })
  gw = await startGatewayProcess({
    models: { fraud: { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } } }
  })
  dir = await mkdtemp(join(tmpdir(), 'batch-resume-'))
  await writeNdjson(join(dir, 'in.ndjson'), makeRows(ROWS))
})
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
  await rm(dir, { recursive: true, force: true })
})

function batchCli (extra: string[]): ChildProcess {
  return spawn(process.execPath, [
    join(repoRoot(), 'dist', 'gateway', 'cli', 'main.js'), 'batch',
    '--url', gw.url, '--model', 'fraud', '--input', join(dir, 'in.ndjson'), '--output', join(dir, 'out.ndjson'),
    '--map', MAP_ARG, '--keep', 'id', '--batch-size', '100', '--concurrency', '2', '--checkpoint-interval-ms', '50', '--progress', 'off',
    ...extra
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
}

describe('batch job killed and resumed', () => {
  it('writes every row exactly once across the killed run and the resumed one', async () => {
    const checkpoint = join(dir, 'out.ndjson.checkpoint.json')
    const first = batchCli([])
    await eventually(async () => {
      const c = await readCheckpoint(checkpoint).catch(() => undefined)
      expect(c?.rows ?? 0).toBeGreaterThanOrEqual(1000)
    }, { timeoutMs: 20_000, intervalMs: 10 })
    first.kill('SIGKILL')
    expect((await exitOf(first)).signal).toBe('SIGKILL')
    const atKill = await readCheckpoint(checkpoint)
    expect(atKill?.done).toBe(false)
    expect(atKill!.rows).toBeLessThan(ROWS)

    const second = batchCli(['--resume', '--batch-size', '1000', '--concurrency', '4'])
    let stdout = ''
    second.stdout!.on('data', (d: Buffer) => { stdout += d.toString() })
    let stderr = ''
    second.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
    const exit = await exitOf(second)
    expect({ exit, stderr }).toEqual({ exit: { code: 0, signal: null }, stderr: '' })
    expect(JSON.parse(stdout)).toMatchObject({ resumed: true, complete: true, rows: ROWS, rejects: 0 })

    const out = await readNdjson<{ id: number }>(join(dir, 'out.ndjson'))
    const { ids, duplicates } = idCensus(out)
    expect(duplicates).toEqual([])
    expect(ids.size).toBe(ROWS)
    expect(out.map(r => r.id)).toEqual([...Array(ROWS).keys()])
    expect(await readFile(join(dir, 'out.ndjson.rejects.ndjson'), 'utf8')).toBe('')
  })
})
