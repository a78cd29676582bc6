import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { splitOf, startSetup, TOKEN, waitForRollout, ROLLOUT_TEST_TIMEOUT_MS, type ReleaseSetup } from './release-harness.js'

// The operator's loop through `model-gateway rollout …` against a real gateway:
// start from a plan file, status, pause and resume at a manual gate, abort,
// explain with an SVG timeline.

const CLI = join(process.cwd(), 'dist', 'gateway', 'cli', 'main.js')

describe('rollout CLI', () => {
  let s: ReleaseSetup
  let dir: string
  const run = (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> => new Promise(resolve => {
    execFile(process.execPath, [CLI, 'rollout', ...args, '--admin-url', s.gw.adminUrl!, '--token', TOKEN], (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : (err as { code?: number }).code ?? 1, stdout, stderr })
    })
  })
  beforeAll(async () => {
    s = await startSetup()
    dir = await mkdtemp(join(tmpdir(), 'rollout-cli-'))
  })
  afterAll(async () => {
    await s?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('starts from a plan file, waits at the manual gate, resumes, aborts back to stable and explains with an SVG', async () => {
    const plan = join(dir, 'plan.yaml')
    await writeFile(plan, 'steps:\n  - gate: manual\n  - { weight: 5%, bake: 1h }\ninterval: 1s\nchecks:\n  errors: {}\n')
    const started = await run('start', 'fraud', 'v3', '--plan', plan)
    expect(started.stderr).toBe('')
    expect(started.stdout).toMatch(/rollout of v3 started; revision \d+/)
    expect(started.stdout).toContain('PAUSED — started by ops: manual gate before the first step')

    const status = await run('status', 'fraud', '--once')
    expect(status.stdout).toMatch(/^rollout of fraud v3 \(stable v1\): PAUSED/)
    expect(status.stdout).toMatch(/step 1\/2 \(manual gate\) {2}canary weight 0%/)
    expect(status.stdout).toMatch(/\[\.{30}\] 0%/)

    expect((await run('resume', 'fraud')).stdout).toMatch(/rollout resumed; revision \d+/)
    await waitForRollout(s.gw, r => r.status === 'running' && r.step === 1)
    expect(await splitOf(s.gw)).toEqual({ v3: 500, v1: 9500 })
    const json = JSON.parse((await run('status', 'fraud', '--json')).stdout)
    expect(json.view).toMatchObject({ status: 'running', step: 2, steps: 2, weight: 500, stepKind: 'weight', bakeMs: 3_600_000 })

    expect((await run('pause', 'fraud')).stdout).toContain('PAUSED — paused by ops')
    const aborted = await run('abort', 'fraud')
    expect(aborted.stdout).toContain('fraud: rollout aborted (v1 serves 100%)')
    expect(await splitOf(s.gw)).toEqual({ v1: 10_000 })

    const svg = join(dir, 'timeline.svg')
    const explained = await run('explain', 'fraud', '--svg', svg)
    expect(explained.stdout).toMatch(/^rollout of v3: aborted; \d+ decisions/)
    expect(explained.stdout).toMatch(/start {6}step 1 at 0%/)
    expect(explained.stdout).toMatch(/abort {6}step 2 at 0%: rollout-abort by ops/)
    const picture = await readFile(svg, 'utf8')
    expect(picture.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(picture).toContain('rollout of fraud v3: aborted')
  }, ROLLOUT_TEST_TIMEOUT_MS)
})
