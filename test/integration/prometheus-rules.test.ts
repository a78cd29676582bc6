// The Prometheus rules in config/prometheus: every rules file there (this
// project's and any added beside it) passes `promtool check rules`; the unit
// tests in config/prometheus/tests pass `promtool test rules`, and among them
// every alert of every rules file is shown firing; every metric an alert
// queries is on a real gateway's /metrics.
import { spawnSync } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { REPO } from './pipeline-harness.js'
import { which } from '../../scripts/services/install.js'
import { missingMetrics, scrapeBusyGateway, type Scraped } from '../support/metrics-scrape.js'

const DIR = join(REPO, 'config', 'prometheus')
const TESTS = join(DIR, 'tests')

interface RulesFile { groups: Array<{ name: string, rules: Array<{ alert?: string, record?: string, expr: string }> }> }
interface UnitTests { rule_files: string[], tests: Array<{ alert_rule_test?: Array<{ alertname: string, exp_alerts: unknown[] }> }> }

const yamlFiles = async (dir: string): Promise<string[]> => (await readdir(dir)).filter(f => /\.ya?ml$/.test(f)).sort()

function promtool (args: string[], cwd: string): { code: number | null, out: string } {
  const bin = which('promtool')
  if (bin === undefined) throw new Error('promtool not found: the test services install it (Debian package prometheus)')
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8' })
  return { code: r.status, out: `${r.stdout}${r.stderr}` }
}

describe('Prometheus rules', () => {
  it('passes promtool check rules for every rules file in config/prometheus', async () => {
    const files = await yamlFiles(DIR)
    expect(files).toContain('alerts.yaml')
    for (const f of files) {
      const r = promtool(['check', 'rules', f], DIR)
      expect(r.code, r.out).toBe(0)
    }
  })

  it('passes promtool test rules for every unit-test file in config/prometheus/tests', async () => {
    const files = await yamlFiles(TESTS)
    expect(files).toContain('alerts.test.yaml')
    for (const f of files) {
      const r = promtool(['test', 'rules', f], TESTS)
      expect(r.code, r.out).toBe(0)
      expect(r.out).toContain('SUCCESS')
    }
  })

  it('shows every alert of every rules file firing in a unit test that loads that file', async () => {
    const firing = new Set<string>()
    for (const f of await yamlFiles(TESTS)) {
      const t = parse(await readFile(join(TESTS, f), 'utf8')) as UnitTests
      for (const rf of t.rule_files) {
        for (const c of t.tests.flatMap(x => x.alert_rule_test ?? [])) if (c.exp_alerts.length > 0) firing.add(`${rf.replace(/^\.\.\//, '')}:${c.alertname}`)
      }
    }
    const alerts: string[] = []
    for (const f of await yamlFiles(DIR)) {
      const rules = parse(await readFile(join(DIR, f), 'utf8')) as RulesFile
      for (const r of rules.groups.flatMap(g => g.rules)) if (r.alert !== undefined) alerts.push(`${f}:${r.alert}`)
    }
    expect(alerts.length).toBeGreaterThanOrEqual(8)
    expect(alerts.filter(a => !firing.has(a))).toEqual([])
  })
})

describe('Prometheus rules: metric names', () => {
  let scraped: Scraped
  beforeAll(async () => { scraped = await scrapeBusyGateway() }, 120_000)

  it('finds every metric an alert of alerts.yaml queries among the families a real gateway exposes', async () => {
    const rules = parse(await readFile(join(DIR, 'alerts.yaml'), 'utf8')) as RulesFile
    const used = rules.groups.flatMap(g => g.rules).flatMap(r => [...r.expr.matchAll(/\bmodel_gateway_[a-z0-9_]+/g)].map(m => m[0]))
    expect(used.length).toBeGreaterThan(7)
    expect(missingMetrics(used, scraped.families)).toEqual([])
  })
})
