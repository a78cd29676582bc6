// The alert rules shipped for the monitor's gauges (config/prometheus): promtool
// accepts them, ModelVersionStale fires for a version whose stale gauge is 1
// and not for one at 0, and ModelMonitorNotRunning fires once the last run is
// more than 8 days old.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { promtoolBinary } from '../../scripts/services/prometheus-tools.js'
import { REPO } from './pipeline-harness.js'

const RULES = join(REPO, 'config', 'prometheus', 'model-gateway-monitor.rules.yml')

describe('config/prometheus/model-gateway-monitor.rules.yml', () => {
  it('passes promtool check rules', () => {
    const r = spawnSync(promtoolBinary(), ['check', 'rules', RULES], { encoding: 'utf8' })
    expect(r.stdout + r.stderr).toContain('SUCCESS: 2 rules found')
    expect(r.status).toBe(0)
  })

  it('fires ModelVersionStale for the stale version only, and ModelMonitorNotRunning after 8 days without a run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'))
    const test = join(dir, 'test.yml')
    writeFileSync(test, `rule_files: [${JSON.stringify(RULES)}]
evaluation_interval: 1h
tests:
  - interval: 1h
    input_series:
      - series: 'model_gateway_monitor_stale{model="fraud",version="v1"}'
        values: '0x10'
      - series: 'model_gateway_monitor_stale{model="fraud",version="v2"}'
        values: '1x10'
      - series: 'model_gateway_monitor_last_run_timestamp_seconds'
        values: '0x300'
    alert_rule_test:
      - eval_time: 1h
        alertname: ModelVersionStale
        exp_alerts:
          - exp_labels: { severity: warning, model: fraud, version: v2 }
            exp_annotations:
              summary: 'model fraud version v2 is stale'
              description: "The weekly monitor found outcome decay or drift past its thresholds; the reasons are in ClickHouse: SELECT reasons FROM outcome_monitor WHERE model = 'fraud' AND version = 'v2' ORDER BY run_at DESC LIMIT 1"
      - eval_time: 191h
        alertname: ModelMonitorNotRunning
        exp_alerts: []
      - eval_time: 193h
        alertname: ModelMonitorNotRunning
        exp_alerts:
          - exp_labels: { severity: warning }
            exp_annotations:
              summary: 'model-gateway monitor has not run for more than 8 days'
              description: 'The weekly CronJob model-gateway-monitor did not publish; check its Jobs (kubectl get jobs -l app.kubernetes.io/component=monitor).'
`)
    const r = spawnSync(promtoolBinary(), ['test', 'rules', test], { encoding: 'utf8' })
    expect(r.stdout + r.stderr).toContain('SUCCESS')
    expect(r.status).toBe(0)
  })
})
