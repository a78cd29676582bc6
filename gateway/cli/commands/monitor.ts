/**
 * `model-gateway monitor`: one monitoring pass over a window (gateway/monitor/),
 * run weekly by a Kubernetes CronJob. Prints a table (or JSON), stores the rows
 * in ClickHouse and publishes gauges for Prometheus. Exit code 0 whether or not
 * a version is stale (staleness is a result, alerted on from the gauges); 1
 * when the pass could not run; 2 for usage.
 */
import { parseArgs } from 'node:util'
import type { Command } from '../command.js'
import { readEnv } from '../../config/env.js'
import { DEFAULT_OUTCOME_THRESHOLD } from '../../config/defaults.js'
import type { ClickHouse } from '../../sink/clickhouse.js'
import { parseDuration } from '../../sink/report.js'
import { METRICS, type MetricName } from '../../outcomes/metrics.js'
import { DEFAULT_MAX_BODIES, DEFAULT_THRESHOLDS, fmt, runMonitor, type MonitorRow, type Thresholds } from '../../monitor/monitor.js'
import { parseFeatureNames } from '../../monitor/features.js'
import { prometheusText, push, storeRows, writeTextfile } from '../../monitor/publish.js'
import { COMMON_OPTIONS, SECURITY_HELP, endpoints, openClickHouse } from '../pipeline-options.js'
import { UsageError } from '../usage-error.js'
import { parseNow } from '../time-options.js'

const JOB = 'model_gateway_monitor'

const HELP = `usage: npx model-gateway monitor [options]

For each model and version with requests in the window: the outcome metric
against a reference window and its change, output drift (prediction PSI, from
the ledger), input drift (PSI per feature, from sampled records), the label
match rate; a version past a threshold is marked stale. Results are printed,
stored in ClickHouse (outcome_monitor) and published as Prometheus gauges
(model_gateway_monitor_stale{model,version} and others).

  --window D             the window before --now: 1h, 7d (default 7d)
  --now T                end of the window: ISO 8601 or epoch ms (default: now)
  --reference R          "first" (each version's first window on the ledger; default)
                         or FROM..TO (ISO 8601 or epoch ms), pinned for every version
  --model M              only this model (repeatable; default: every model on the ledger)
  --metric M             ${METRICS.join(', ')} (default: accuracy, mae or value-mean, by what there is)
  --threshold X          binary labels: predictions >= X count as 1 (default ${DEFAULT_OUTCOME_THRESHOLD})
  --max-output-psi X     prediction PSI over which a version is stale (default ${DEFAULT_THRESHOLDS.maxOutputPsi})
  --max-input-psi X      input feature PSI over which a version is stale (default ${DEFAULT_THRESHOLDS.maxInputPsi})
  --max-decay X          change of the metric for the worse over which it is stale (default ${DEFAULT_THRESHOLDS.maxDecay})
  --min-match-rate X     share of outcomes matching a request under which it is stale (default ${DEFAULT_THRESHOLDS.minMatchRate})
  --min-samples N        fewer values per side give no verdict on that aspect (default ${DEFAULT_THRESHOLDS.minSamples})
  --feature-names I=A,B  names of input I's columns (repeatable), e.g. features=amount,account_age_days
  --max-bodies N         sampled request bodies read per version and window (default ${DEFAULT_MAX_BODIES})
  --textfile FILE        write the gauges for node_exporter's textfile collector
  --pushgateway URL      push the gauges to a Prometheus Pushgateway (job ${JOB})
  --no-store             do not insert the rows into ClickHouse
  --json                 print the rows as JSON
  --clickhouse URL, --database NAME   (default $CLICKHOUSE_URL, $CLICKHOUSE_DATABASE or model_gateway)
${SECURITY_HELP}`

function number (v: string | undefined, name: string, def: number, min: number, max: number): number {
  if (v === undefined) return def
  const x = Number(v)
  if (v.trim() === '' || !(x >= min && x <= max)) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${v}"`)
  return x
}

function parseReference (s: string | undefined): { from: number, to: number } | null {
  if (s === undefined || s === 'first') return null
  const [a, b] = s.split('..')
  if (a === undefined || b === undefined) throw new UsageError(`--reference must be "first" or FROM..TO, got "${s}"`)
  const from = parseNow(a)
  const to = parseNow(b)
  if (to <= from) throw new UsageError(`--reference: ${b} is not after ${a}`)
  return { from, to }
}

const command: Command = {
  summary: 'compare each live version with its reference window: outcomes, output and input drift, stale or not',
  async run (argv) {
    let v
    try {
      v = parseArgs({
        args: argv,
        strict: true,
        options: {
          ...COMMON_OPTIONS,
          window: { type: 'string' }, now: { type: 'string' }, reference: { type: 'string' }, model: { type: 'string', multiple: true }, metric: { type: 'string' },
          threshold: { type: 'string' }, 'max-output-psi': { type: 'string' }, 'max-input-psi': { type: 'string' }, 'max-decay': { type: 'string' },
          'min-match-rate': { type: 'string' }, 'min-samples': { type: 'string' }, 'feature-names': { type: 'string', multiple: true }, 'max-bodies': { type: 'string' },
          textfile: { type: 'string' }, pushgateway: { type: 'string' }, 'no-store': { type: 'boolean' }, json: { type: 'boolean' }
        }
      }).values
    } catch (err) {
      process.stderr.write(`model-gateway monitor: ${(err as Error).message}\n\n${HELP}`)
      return 2
    }
    if (v.help === true) { process.stdout.write(HELP); return 0 }
    let opts, ep
    try {
      const windowMs = parseDuration(v.window ?? '7d') * 1000
      if (windowMs < 1000) throw new UsageError('--window must be at least 1s')
      if (v.metric !== undefined && !(METRICS as readonly string[]).includes(v.metric)) throw new UsageError(`--metric must be one of ${METRICS.join(', ')}, got "${v.metric}"`)
      if (v.pushgateway !== undefined && !/^https?:\/\/[^\s/]+/.test(v.pushgateway)) throw new UsageError(`--pushgateway must be an http(s) URL, got "${v.pushgateway}"`)
      const thresholds: Thresholds = {
        maxOutputPsi: number(v['max-output-psi'], 'max-output-psi', DEFAULT_THRESHOLDS.maxOutputPsi, 0, 100),
        maxInputPsi: number(v['max-input-psi'], 'max-input-psi', DEFAULT_THRESHOLDS.maxInputPsi, 0, 100),
        maxDecay: number(v['max-decay'], 'max-decay', DEFAULT_THRESHOLDS.maxDecay, 0, 1e12),
        minMatchRate: number(v['min-match-rate'], 'min-match-rate', DEFAULT_THRESHOLDS.minMatchRate, 0, 1),
        minSamples: number(v['min-samples'], 'min-samples', DEFAULT_THRESHOLDS.minSamples, 1, 1e9)
      }
      opts = {
        now: parseNow(v.now),
        windowMs,
        reference: parseReference(v.reference),
        models: v.model ?? [],
        metric: v.metric as MetricName | undefined,
        threshold: number(v.threshold, 'threshold', DEFAULT_OUTCOME_THRESHOLD, 0, 1),
        thresholds,
        featureNames: parseFeatureNames(v['feature-names'] ?? []),
        maxBodies: number(v['max-bodies'], 'max-bodies', DEFAULT_MAX_BODIES, 0, 1e6)
      }
      ep = endpoints(v, readEnv())
    } catch (err) {
      process.stderr.write(`model-gateway monitor: ${(err as Error).message}\n`)
      return 2
    }
    let ch: ClickHouse
    try {
      ch = openClickHouse(ep)
    } catch (err) {
      process.stderr.write(`model-gateway monitor: ${(err as Error).message}\n`)
      return 1
    }
    try {
      const rows = await runMonitor(ch, opts)
      if (v['no-store'] !== true && rows.length > 0) await storeRows(ch, rows)
      const text = prometheusText(rows, Date.now())
      if (v.textfile !== undefined) await writeTextfile(v.textfile, text)
      if (v.pushgateway !== undefined) await push(v.pushgateway, JOB, text)
      process.stdout.write(v.json === true ? `${JSON.stringify(rows)}\n` : formatRows(rows, opts.now, opts.windowMs))
      return 0
    } catch (err) {
      process.stderr.write(`model-gateway monitor: ${(err as Error).message.split('\n')[0]}\n`)
      return 1
    } finally {
      await ch.close()
    }
  }
}

function formatRows (rows: readonly MonitorRow[], now: number, windowMs: number): string {
  const out = [`monitor: window ${new Date(now - windowMs).toISOString()} .. ${new Date(now).toISOString()}`]
  if (rows.length === 0) out.push('(no requests on the ledger in this window)')
  for (const r of rows) {
    const inputs = Object.entries(r.inputPsi).sort((a, b) => b[1] - a[1])
    out.push(`${r.model} ${r.version}: ${r.stale ? 'STALE' : 'ok'}; ${r.requests} requests; ${r.metric ?? 'no outcomes'} ${fmt(r.value)} (reference ${fmt(r.referenceValue)}, change ${fmt(r.change)}); output PSI ${fmt(r.outputPsi)}; ` +
      `input PSI max ${inputs.length === 0 ? '-' : `${fmt(inputs[0]![1])} (${inputs[0]![0]})`}; match rate ${fmt(r.matchRate)}; coverage ${fmt(r.coverage)}`)
    for (const reason of r.reasons) out.push(`  ${reason}`)
  }
  return out.join('\n') + '\n'
}

export default command
