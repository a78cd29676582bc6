// The release alert rules shipped in config/prometheus, checked and unit-tested
// with promtool (Debian's prometheus package, installed on first use by the
// project's install script): each rule fires when it should and not before.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { promtoolBinary } from '../../scripts/services/install.js'
import { repoRoot } from '../../scripts/processes/ready-process.js'

const DIR = join(repoRoot(), 'config', 'prometheus')
const run = promisify(execFile)

describe('config/prometheus/release-alerts.yaml', () => {
  it('is valid for promtool, with its six rules', { timeout: 120_000 }, async () => {
    const r = await run(promtoolBinary(), ['check', 'rules', 'release-alerts.yaml'], { cwd: DIR })
    expect(r.stdout).toContain('SUCCESS: 6 rules found')
  })

  it('passes its promtool unit tests (release-alerts.test.yaml)', { timeout: 120_000 }, async () => {
    const r = await run(promtoolBinary(), ['test', 'rules', 'release-alerts.test.yaml'], { cwd: DIR })
    expect(r.stdout).toContain('SUCCESS')
  })
})
