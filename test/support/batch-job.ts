import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from '../../scripts/processes/ready-process.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js'
import { makeRows, MAP_ARG, writeNdjson } from './batch-files.js'

// What the tests that run `model-gateway batch` as a process share: one fraud
// model (answering after delayMs) behind a gateway, a folder with an input of
// `rows` rows, and the CLI started on them with the job's common flags.

export const ADMIN_TOKEN = 'batch-job-token-0123456789'

export interface BatchStack {
  model: ModelProcess
  gw: GatewayProcess
  /** Holds in.ndjson; the job writes out.ndjson and its rejects and checkpoint beside it. */
  dir: string
  stop(): Promise<void>
}

export interface BatchRun {
  child: ChildProcess
  stdout(): string
  stderr(): string
}

/** Model, gateway (admin on, /metrics public) and input file. */
export async function startBatchStack (rows: number, delayMs: number): Promise<BatchStack> {
  const model = await startModel({ version: 'v1', delayMs })
  const gw = await startGatewayProcess({
    admin: { host: '127.0.0.1', port: 0, metricsPublic: true, tokens: [{ name: 'test', token: ADMIN_TOKEN, role: 'admin' }] },
    models: { fraud: { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } } }
  })
  const dir = await mkdtemp(join(tmpdir(), 'batch-job-'))
  await writeNdjson(join(dir, 'in.ndjson'), makeRows(rows))
  return {
    model,
    gw,
    dir,
    async stop () {
      await gw.stop()
      await model.stop()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/** `model-gateway batch` on the stack's input into out.ndjson (id kept, checkpoint every 50 ms, no progress); `extra` flags come last and win. */
export function runBatchCli (stack: BatchStack, extra: string[]): BatchRun {
  const child = spawn(process.execPath, [
    join(repoRoot(), 'dist', 'gateway', 'cli', 'main.js'), 'batch',
    '--url', stack.gw.url, '--model', 'fraud', '--input', join(stack.dir, 'in.ndjson'), '--output', join(stack.dir, 'out.ndjson'),
    '--map', MAP_ARG, '--keep', 'id', '--checkpoint-interval-ms', '50', '--progress', 'off', ...extra
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { err += d.toString() })
  return { child, stdout: () => out, stderr: () => err }
}
