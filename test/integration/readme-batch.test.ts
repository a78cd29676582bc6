// The batch guide's examples (docs/batch.md; the README shows the first), run as
// pasted against the demo: a shell in a
// folder laid out like a clone (the package, its build and config/), with the
// environment of the demo's printed `export` line. Also: a job that rejects
// rows exits 3 unless --max-reject-share allows them.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO } from './pipeline-harness.js'
import { startDemo, type DemoProcess } from '../support/demo-process.js'

let demo: DemoProcess | undefined
let env: NodeJS.ProcessEnv
let cwd: string

/** The batch guide's first ```sh block, continuation lines joined, comments dropped. */
function readmeBatchCommands (): string[] {
  const readme = readFileSync(join(REPO, 'docs', 'batch.md'), 'utf8')
  const section = readme.slice(readme.indexOf('# Batch scoring'), readme.indexOf('## Which version scores a row'))
  const block = /^```sh\n([\s\S]*?)^```/m.exec(section)![1]!
  return block.replace(/\\\n\s*/g, '').split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
}

function sh (line: string): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync('sh', ['-c', line], { cwd, env, encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

function ndjson (file: string): Array<Record<string, unknown>> {
  return readFileSync(join(cwd, file), 'utf8').trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
}

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'readme-batch-'))
  for (const entry of ['package.json', 'dist', 'node_modules', 'config']) symlinkSync(join(REPO, entry), join(cwd, entry))
  demo = await startDemo()
  env = demo.env
}, 120_000)

afterAll(async () => {
  await demo?.stop()
  rmSync(cwd, { recursive: true, force: true })
}, 30_000)

describe('batch guide examples, as pasted', () => {
  it('the batch guide gives three batch commands, the first of them the README\'s', () => {
    const cmds = readmeBatchCommands()
    expect(cmds).toHaveLength(3)
    for (const c of cmds) expect(c.startsWith('npx model-gateway batch ')).toBe(true)
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8').replace(/\\\n\s*/g, '')
    expect(readme).toContain(cmds[0]!)
  })

  it('by user on the live split: every row scored, each on the version a live request of its user gets', async () => {
    const r = sh(readmeBatchCommands()[0]!)
    expect(r.status).toBe(0)
    const summary = JSON.parse(r.stdout) as { rows: number, rejects: number, complete: boolean }
    expect(summary).toMatchObject({ rows: 24, rejects: 0, complete: true })
    const out = ndjson('scores.ndjson')
    expect(out).toHaveLength(24)
    for (const row of out) {
      const res = await fetch(`${env.MODEL_GATEWAY_URL}/v2/models/fraud/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': String(row.user_id) },
        body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [1, 1, 1, 1] }] })
      })
      await res.text()
      expect({ user: row.user_id, version: row.model_version }).toEqual({ user: row.user_id, version: res.headers.get('x-model-version') })
      expect(typeof row.fraud_probability).toBe('number')
    }
  })

  it('CSV on one version: every row scored on v2, CSV out', () => {
    const r = sh(readmeBatchCommands()[1]!)
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 24, rejects: 0, complete: true, versions: { v2: 24 } })
    const lines = readFileSync(join(cwd, 'scores.csv'), 'utf8').trim().split('\n')
    expect(lines[0]).toBe('transaction_id,fraud_probability,model_version')
    expect(lines).toHaveLength(25)
  })

  it('--resume after a finished job changes nothing and exits 0', () => {
    const before = readFileSync(join(cwd, 'scores.ndjson'), 'utf8')
    const r = sh(readmeBatchCommands()[2]!)
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 24, rejects: 0, alreadyDone: true })
    expect(readFileSync(join(cwd, 'scores.ndjson'), 'utf8')).toBe(before)
  })
})

describe('rejected rows and the exit code', () => {
  const noMap = 'npx model-gateway batch --model fraud --version v2 --input config/batch/transactions.csv --output nomap.csv --keep transaction_id'

  it('a job that rejects every row (no --map) exits 3 with one line naming the count and the rejects file', () => {
    const r = sh(noMap)
    expect(r.status).toBe(3)
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 0, rejects: 24, complete: true })
    expect(messages(r.stderr)).toEqual(['model-gateway batch: 24 of 24 rows rejected (100.00%), more than --max-reject-share 0 allows; the reasons are in nomap.csv.rejects.ndjson'])
    expect(ndjson('nomap.csv.rejects.ndjson')[0]!.reason).toBe('missing column "features"')
  })

  it('--max-reject-share 1 accepts the same job with exit 0', () => {
    const r = sh(`${noMap.replace('nomap.csv', 'nomap2.csv')} --max-reject-share 1`)
    expect(messages(r.stderr)).toEqual([])
    expect(r.status).toBe(0)
  })
})

/** stderr without the JSON progress lines a job writes when stderr is not a terminal. */
function messages (stderr: string): string[] {
  return stderr.split('\n').filter(l => l !== '' && !l.startsWith('{'))
}
