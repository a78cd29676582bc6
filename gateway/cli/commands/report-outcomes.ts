/**
 * `model-gateway report outcomes <model> --window 7d`: labels and business
 * values per version from ClickHouse (gateway/outcomes/report.ts), as a table,
 * JSON, and an SVG of one metric over time.
 */
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { readEnv } from '../../config/env.js'
import { DEFAULT_OUTCOME_THRESHOLD } from '../../config/defaults.js'
import type { ClickHouse } from '../../sink/clickhouse.js'
import { parseDuration } from '../../sink/report.js'
import { METRICS, type MetricName } from '../../outcomes/metrics.js'
import { defaultMetric, formatOutcomeReport, metricSeries, outcomeReport } from '../../outcomes/report.js'
import { seriesSvg } from '../../outcomes/series-svg.js'
import { COMMON_OPTIONS, SECURITY_HELP, endpoints, openClickHouse } from '../pipeline-options.js'
import { UsageError } from '../usage-error.js'
import { parseNow } from '../time-options.js'

export const HELP = `usage: npx model-gateway report outcomes <model> [options]

What the requests of each version turned out to be, from the assignment ledger
and the outcomes reported by request id (POST /v2/models/{m}/outcomes, the
outcomes topic, "npx model-gateway outcomes load"): labelled share, accuracy at the
threshold, ROC AUC, log loss, Brier score and calibration (binary labels), MAE
and RMSE (numeric labels), business value mean and rate with 95% intervals,
label delay, and how many outcomes matched a request.

  --window D             requests of this period before --now: 90s, 15m, 1h, 7d (default 7d)
  --now T                end of the window: ISO 8601 or epoch ms (default: now)
  --bucket D             width of the time buckets of --svg (default: a seventh of the window)
  --threshold X          binary labels: predictions >= X count as 1 (default ${DEFAULT_OUTCOME_THRESHOLD})
  --metric M             metric of the picture: ${METRICS.join(', ')} (default: accuracy, mae or value-mean, by what there is)
  --svg FILE             write the metric per version over time as an SVG
  --json                 print the report as JSON instead of a table
  --clickhouse URL       ClickHouse HTTP URL (default $CLICKHOUSE_URL)
  --database NAME        database (default $CLICKHOUSE_DATABASE or model_gateway)
${SECURITY_HELP}`

export async function run (argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, window: { type: 'string' }, now: { type: 'string' }, bucket: { type: 'string' }, threshold: { type: 'string' }, metric: { type: 'string' }, svg: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true })
  } catch (err) {
    process.stderr.write(`model-gateway report outcomes: ${(err as Error).message}\n\n${HELP}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help === true) { process.stdout.write(HELP); return 0 }
  let ep, windowMs, bucketMs, now, threshold, metric: MetricName | undefined
  try {
    if (positionals.length !== 1) throw new UsageError(`expected one model name, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`)
    windowMs = parseDuration(values.window ?? '7d') * 1000
    if (windowMs < 1000) throw new UsageError('--window must be at least 1s')
    bucketMs = values.bucket === undefined ? Math.max(1000, Math.round(windowMs / 7)) : parseDuration(values.bucket) * 1000
    if (bucketMs < 1000) throw new UsageError('--bucket must be at least 1s')
    now = parseNow(values.now)
    threshold = values.threshold === undefined ? DEFAULT_OUTCOME_THRESHOLD : Number(values.threshold)
    if (values.threshold?.trim() === '' || !(threshold >= 0 && threshold <= 1)) throw new UsageError(`--threshold must be a number from 0 to 1, got "${values.threshold}"`)
    if (values.metric !== undefined && !(METRICS as readonly string[]).includes(values.metric)) throw new UsageError(`--metric must be one of ${METRICS.join(', ')}, got "${values.metric}"`)
    metric = values.metric as MetricName | undefined
    ep = endpoints(values, readEnv())
  } catch (err) {
    process.stderr.write(`model-gateway report outcomes: ${(err as Error).message}\n`)
    return 2
  }
  const model = positionals[0]!
  let ch: ClickHouse
  try {
    ch = openClickHouse(ep)
  } catch (err) {
    process.stderr.write(`model-gateway report outcomes: ${(err as Error).message}\n`)
    return 1
  }
  try {
    const r = await outcomeReport(ch, model, now - windowMs, now, bucketMs, threshold)
    process.stdout.write(values.json === true ? `${JSON.stringify(r)}\n` : formatOutcomeReport(r, values.window ?? '7d'))
    if (values.svg !== undefined) {
      const m = metric ?? defaultMetric(r)
      // A point stands for its bucket: drawn at the bucket's middle.
      const lines = metricSeries(r, m).map(s => ({ label: s.version, points: s.points.map(p => ({ at: p.at + bucketMs / 2, value: p.value })) }))
      await writeFile(values.svg, seriesSvg(`${model}: ${m} per version`, `requests of ${new Date(r.from).toISOString()} .. ${new Date(r.to).toISOString()}, buckets of ${values.bucket ?? `${Math.round(bucketMs / 1000)}s`}; a point is the bucket's requests with outcomes`, m, lines, { from: r.from, to: r.to }))
      if (values.json !== true) process.stdout.write(`${m} over time written to ${values.svg}\n`)
    }
    return 0
  } catch (err) {
    process.stderr.write(`model-gateway report outcomes: ${(err as Error).message.split('\n')[0]}\n`)
    return 1
  } finally {
    await ch.close()
  }
}
