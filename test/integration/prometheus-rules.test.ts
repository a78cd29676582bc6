// The Prometheus rules in config/prometheus: every rules file there (this
// project's and any added beside it) passes `promtool check rules`; every
// promtool unit-test file there or in tests/ passes `promtool test rules`, and
// among them every alert of every rules file is shown firing; every metric an
// alert of alerts.yaml queries is on a real gateway's /metrics.
import { spawnSync } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { REPO } from './pipeline-harness.js'
import { which } from '../../scripts/services/install.js'
import { missingMetrics, scrapeBusyGateway, type Scraped } from '../support/metrics-scrape.js'

const DIR = join(REPO, 'config', 'prometheus')

interface RulesFile { groups: Array<{ name: string, rules: Array<{ alert?: string, record?: string, expr: string }> }> }
interface UnitTests { rule_files: string[], tests: Array<{ alert_rule_test?: Array<{ alertname: string, exp_alerts: unknown[] }> }> }
interface Found { rules: Map<string, RulesFile>, tests: Map<string, UnitTests> }

/**
 * Every YAML file in config/prometheus and its tests/ folder, told apart by
 * content: a rules file has `groups`, a promtool unit-test file `rule_files`
 * and `tests` (wherever either was put). Keys are paths relative to config/prometheus.
 */
async function found (): Promise<Found> {
  const out: Found = { rules: new Map(), tests: new Map() }
  for (const dir of ['', 'tests']) {
    for (const f of (await readdir(join(DIR, dir)).catch(() => [])).filter(f => /\.ya?ml$/.test(f)).sort()) {
      const rel = dir === '' ? f : `${dir}/${f}`
      const doc = parse(await readFile(join(DIR, rel), 'utf8')) as Partial<RulesFile & UnitTests> | null
      if (doc?.groups !== undefined) out.rules.set(rel, doc as RulesFile)
      else if (doc?.tests !== undefined) out.tests.set(rel, doc as UnitTests)
      else throw new Error(`config/prometheus/${rel} is neither a rules file (groups) nor a promtool unit-test file (rule_files, tests)`)
    }
  }
  return out
}

function promtool (args: string[], cwd: string): { code: number | null, out: string } {
  const bin = which('promtool')
  if (bin === undefined) throw new Error('promtool not found: the test services install it (Debian package prometheus)')
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8' })
  return { code: r.status, out: `${r.stdout}${r.stderr}` }
}

describe('Prometheus rules', () => {
  it('passes promtool check rules for every rules file in config/prometheus', async () => {
    const files = [...(await found()).rules.keys()]
    expect(files).toContain('alerts.yaml')
    for (const f of files) {
      const r = promtool(['check', 'rules', f], DIR)
      expect(r.code, r.out).toBe(0)
    }
  })

  it('passes promtool test rules for every unit-test file in config/prometheus', async () => {
    const files = [...(await found()).tests.keys()]
    expect(files).toContain('tests/alerts.test.yaml')
    for (const f of files) {
      const r = promtool(['test', 'rules', basename(f)], join(DIR, dirname(f)))
      expect(r.code, r.out).toBe(0)
      expect(r.out).toContain('SUCCESS')
    }
  })

  it('shows every alert of every rules file firing in a unit test that loads that file', async () => {
    const { rules, tests } = await found()
    const firing = new Set<string>()
    for (const [f, t] of tests) {
      for (const rf of t.rule_files) {
        // rule_files are relative to the unit-test file.
        const rulesFile = relative(DIR, resolve(DIR, dirname(f), rf))
        for (const c of t.tests.flatMap(x => x.alert_rule_test ?? [])) if (c.exp_alerts.length > 0) firing.add(`${rulesFile}:${c.alertname}`)
      }
    }
    const alerts = [...rules].flatMap(([f, r]) => r.groups.flatMap(g => g.rules).filter(x => x.alert !== undefined).map(x => `${f}:${x.alert}`))
    expect(alerts.length).toBeGreaterThanOrEqual(8)
    expect(alerts.filter(a => !firing.has(a))).toEqual([])
  })
})

describe('Prometheus rules: metric names', () => {
  let scraped: Scraped
  beforeAll(async () => { scraped = await scrapeBusyGateway() }, 120_000)

  it('finds every metric an alert of alerts.yaml queries among the families a real gateway exposes', async () => {
    const rules = (await found()).rules.get('alerts.yaml')!
    const used = rules.groups.flatMap(g => g.rules).flatMap(r => [...r.expr.matchAll(/\bmodel_gateway_[a-z0-9_]+/g)].map(m => m[0]))
    expect(used.length).toBeGreaterThan(7)
    expect(missingMetrics(used, scraped.families)).toEqual([])
  })
})
