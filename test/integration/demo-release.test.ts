// docs/demo.md's release walkthrough, run as the page shows it: the demo's
// program (what `npm run demo` runs after building) on any free ports, the
// page's `npx model-gateway` lines run by a shell in the repository with the
// environment of the demo's printed `export` line, the traffic command in the
// background. A good canary (v3) is promoted, a bad one (v4, --error-rate 0.3)
// rolled back, and the audit shows both, before → after.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../support/eventually.js'
import { REPO } from './pipeline-harness.js'
import { startDemo, type DemoProcess } from '../support/demo-process.js'

let demo: DemoProcess | undefined
let traffic: ChildProcess | undefined
let trafficOut = ''
let env: NodeJS.ProcessEnv
let blocks: string[][]

/** The `npx model-gateway` lines of each ```sh block of the page, in order. */
function shBlocks (markdown: string): string[][] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)]
    .map(m => m[1]!.split('\n').map(l => l.trim()).filter(l => l.startsWith('npx model-gateway')))
    .filter(b => b.length > 0)
}

/** Runs one line of the page as a shell would, from the repository. */
function sh (line: string): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync('sh', ['-c', line], { cwd: REPO, env, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** The status's lines with their continuations (indented, past 100 columns) joined back. */
function unwrap (out: string): string[] {
  const lines: string[] = []
  for (const l of out.split('\n')) {
    if (/^ {6}\S/.test(l) && lines.length > 0) lines[lines.length - 1] += ` ${l.trim()}`
    else lines.push(l)
  }
  return lines
}

/** Runs the status line until the rollout has ended; returns its output. */
async function untilEnded (statusLine: string): Promise<string> {
  return await eventually(() => {
    const r = sh(statusLine)
    expect(r.status).toBe(0)
    expect(r.stdout.split('\n')[0]).toMatch(/: (PROMOTED|ROLLED-BACK|ABORTED|SUPERSEDED)\b/)
    return r.stdout
  }, { timeoutMs: 240_000, intervalMs: 2_000 })
}

beforeAll(async () => {
  blocks = shBlocks(await readFile(join(REPO, 'docs', 'demo.md'), 'utf8'))
  demo = await startDemo()
  env = demo.env
}, 120_000)

afterAll(async () => {
  if (traffic?.pid !== undefined && traffic.exitCode === null) {
    const done = new Promise(resolve => traffic!.once('exit', resolve))
    process.kill(-traffic.pid, 'SIGINT')
    await done
  }
  await demo?.stop()
}, 60_000)

describe('the demo release walkthrough (docs/demo.md)', () => {
  it('the page gives a traffic line, a good and a bad release of two lines each, and an audit line', () => {
    expect(blocks).toEqual([
      ['npx model-gateway traffic --rps 50 --users 1000'],
      ['npx model-gateway rollout start fraud v3 --plan config/demo/rollout-plan.yaml', 'npx model-gateway rollout status fraud'],
      ['npx model-gateway rollout start fraud v4 --plan config/demo/rollout-plan.yaml', 'npx model-gateway rollout status fraud'],
      ['npx model-gateway audit --limit 5']
    ])
  })

  it('traffic runs in the background and reaches the gateway', async () => {
    traffic = spawn('sh', ['-c', blocks[0]![0]!], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    traffic.stdout!.setEncoding('utf8').on('data', (c: string) => { trafficOut += c })
    await eventually(() => { expect(trafficOut).toMatch(/\| v1 \d+/) }, { timeoutMs: 60_000, intervalMs: 500 })
  }, 70_000)

  it('the good canary v3 is promoted, as the page shows', async () => {
    const [start, status] = blocks[1]!
    const s = sh(start!)
    expect(s.stderr).toBe('')
    expect(s.stdout.split('\n')[0]).toMatch(/^fraud: rollout of v3 started; revision \d+$/)
    const out = await untilEnded(status!)
    expect(unwrap(out)[0]).toBe('rollout of fraud v3 (stable v1): PROMOTED — all checks passed at 50%: promoted v3 (2 steps)')
  }, 260_000)

  it('the bad canary v4 (--error-rate 0.3) is rolled back by the errors check in its first step, as the page shows', async () => {
    const [start, status] = blocks[2]!
    expect(sh(start!).status).toBe(0)
    const out = await untilEnded(status!)
    expect(out.split('\n').every(l => l.length <= 100)).toBe(true)
    expect(unwrap(out)[0]).toMatch(/^rollout of fraud v4 \(stable v3\): ROLLED-BACK — errors failed: canary \d+\.\d+% of \d+ vs stable 0\.00% of \d+, always-valid p=\S+ \(alpha \S+\): canary errors more$/)
    expect(unwrap(out)[1]).toMatch(/^step 1\/2 /)
  }, 260_000)

  it('the audit shows the rollback and the promotion before → after', () => {
    const r = sh(blocks[3]![0]!)
    expect(r.status).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toMatch(/^WHEN \(UTC\)\s+WHO\s+ACTION\s+MODEL\s+CHANGE\s+REVISION\s+NOTE$/)
    expect(lines.find(l => l.includes('rollout-rollback'))).toMatch(/rollout-rollback\s+fraud\s+weights v3 90→100, v4 10→0; canary v4→none; rollout of v4 running→rolled-back\s+\d+→\d+\s+errors failed: /)
    expect(lines.find(l => l.includes('rollout-promote'))).toMatch(/rollout-promote\s+fraud\s+weights v1 50→0, v3 50→100; stable v1→v3; canary v3→none; rollout of v3 running→promoted\s+\d+→\d+\s+all checks passed at 50%: promoted v3 \(2 steps\)$/)
    for (const l of lines) expect(l.length).toBeLessThan(260)
  })
})
