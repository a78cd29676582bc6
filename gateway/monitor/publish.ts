/**
 * Where a monitoring pass's results go: rows in ClickHouse (outcome_monitor,
 * one per model, version and run, for analysts), and the same figures as
 * Prometheus gauges — written as a textfile (node_exporter's textfile
 * collector) and/or pushed to a Pushgateway (the usual home of a batch job's
 * metrics: a CronJob's pod is gone before any scrape). Alert on
 * `model_gateway_monitor_stale == 1`, and on the last run being older than the
 * schedule (`time() - model_gateway_monitor_last_run_timestamp_seconds`).
 */
import { rename, writeFile } from 'node:fs/promises'
import { request } from 'undici'
import type { ClickHouse } from '../sink/clickhouse.js'
import type { MonitorRow } from './monitor.js'

export async function storeRows (ch: ClickHouse, rows: readonly MonitorRow[]): Promise<void> {
  const s = (ms: number): number => Math.floor(ms / 1000)
  const n = (x: number | null): number => x === null || !Number.isFinite(x) ? NaN : x
  const max = (r: MonitorRow): number => Math.max(-Infinity, ...Object.values(r.inputPsi))
  await ch.insert('outcome_monitor', rows.map(r => ({
    run_at: s(r.runAt),
    model: r.model,
    version: r.version,
    window_from: s(r.window.from),
    window_to: s(r.window.to),
    reference_from: s(r.reference.from),
    reference_to: s(r.reference.to),
    requests: r.requests,
    metric: r.metric ?? '',
    value: n(r.value),
    reference_value: n(r.referenceValue),
    change: n(r.change),
    output_psi: n(r.outputPsi),
    input_psi_max: Number.isFinite(max(r)) ? max(r) : NaN,
    input_psi: JSON.stringify(r.inputPsi),
    match_rate: n(r.matchRate),
    coverage: r.coverage,
    stale: r.stale ? 1 : 0,
    reasons: r.reasons.join('; ')
  })).map(row => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' && Number.isNaN(v) ? 'nan' : v]))))
}

function esc (v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** The Prometheus text exposition of a pass. */
export function prometheusText (rows: readonly MonitorRow[], runAt: number): string {
  const families = new Map<string, { help: string, lines: string[] }>()
  const gauge = (name: string, help: string, labels: Record<string, string>, value: number | null): void => {
    if (value === null || !Number.isFinite(value)) return
    let f = families.get(name)
    if (f === undefined) families.set(name, f = { help, lines: [] })
    const l = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',')
    f.lines.push(`${name}${l === '' ? '' : `{${l}}`} ${value}`)
  }
  gauge('model_gateway_monitor_last_run_timestamp_seconds', 'When the last monitoring pass ran (epoch seconds)', {}, Math.floor(runAt / 1000))
  for (const r of rows) {
    const id = { model: r.model, version: r.version }
    gauge('model_gateway_monitor_stale', '1 when a threshold marks the version stale (see the reasons in outcome_monitor), else 0', id, r.stale ? 1 : 0)
    gauge('model_gateway_monitor_requests', 'Requests of the version in the monitored window', id, r.requests)
    if (r.metric !== null) {
      gauge('model_gateway_monitor_metric', 'The outcome metric of the version in the window', { ...id, metric: r.metric }, r.value)
      gauge('model_gateway_monitor_metric_reference', 'The outcome metric of the version in the reference window', { ...id, metric: r.metric }, r.referenceValue)
      gauge('model_gateway_monitor_metric_change', 'Window minus reference of the outcome metric', { ...id, metric: r.metric }, r.change)
    }
    gauge('model_gateway_monitor_output_psi', 'PSI of the predictions, window against reference', id, r.outputPsi)
    for (const [feature, p] of Object.entries(r.inputPsi)) gauge('model_gateway_monitor_input_psi', 'PSI of an input feature, window against reference', { ...id, feature }, p)
    gauge('model_gateway_monitor_label_match_rate', 'Share of the window\'s outcomes whose request id the ledger knows', id, r.matchRate)
    gauge('model_gateway_monitor_label_coverage', 'Share of the window\'s requests with a label', id, r.coverage)
  }
  let out = ''
  for (const [name, f] of families) out += `# HELP ${name} ${f.help}\n# TYPE ${name} gauge\n${f.lines.join('\n')}\n`
  return out
}

/** Written beside and renamed into place, so a collector never reads half a file. */
export async function writeTextfile (file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, text)
  await rename(tmp, file)
}

/** PUT to <url>/metrics/job/<job>: replaces what the job pushed last time (a version no longer live disappears). */
export async function push (url: string, job: string, text: string): Promise<void> {
  const res = await request(`${url.replace(/\/+$/, '')}/metrics/job/${encodeURIComponent(job)}`, { method: 'PUT', headers: { 'content-type': 'text/plain; version=0.0.4' }, body: text })
  const body = await res.body.text()
  if (res.statusCode >= 300) throw new Error(`Pushgateway ${url} answered ${res.statusCode}: ${body.slice(0, 200)}`)
}
