// Per-version traffic over time: request rate, error rate, latency quantiles
// and the spread of the first output (p10, p50, p90).
import { Chart, type Line } from './chart'
import { versionColor } from './split'
import { num, ratio } from './format'
import type { ModelView, SeriesAnswer, SeriesPoint } from './types'

export function TrafficCharts ({ model, series }: { model: ModelView, series: SeriesAnswer }) {
  const times = series.versions[0]?.points.map(p => p.t) ?? []
  const shown = series.versions.filter(v => v.points.some(p => p.requests > 0))
  const lines = (pick: (p: SeriesPoint) => number | null, suffix = '', dash = false): Line[] =>
    shown.map(v => ({ label: `${v.version}${suffix}`, color: versionColor(model.versions, v.version), values: v.points.map(pick), dash }))
  const latest = shown.map(v => ({ version: v.version, p: [...v.points].reverse().find(p => p.requests > 0) ?? null }))
  return (
    <section class='card' data-testid='traffic'>
      <h2>Traffic <small>{series.source === 'local' ? 'this instance' : 'fleet (ClickHouse)'}, {series.step}s steps</small></h2>
      <div class='charts'>
        <Chart title='requests / s' times={times} lines={lines(p => p.rps)} />
        <Chart title='error rate (%)' times={times} unit='%' lines={lines(p => p.errorRate === null ? null : p.errorRate * 100)} />
        <Chart title='latency p50 and p99 (ms)' times={times} unit='ms' lines={[...lines(p => p.p50, ' p50'), ...lines(p => p.p99, ' p99', true)]} />
        <Chart title='first output: p10, p50, p90' times={times} lines={[...lines(p => p.output?.p50 ?? null, ' p50'), ...lines(p => p.output?.p10 ?? null, ' p10', true), ...lines(p => p.output?.p90 ?? null, ' p90', true)]} />
      </div>
      <table data-testid='traffic-latest'>
        <thead><tr><th>version</th><th>req/s</th><th>errors</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>output p50</th></tr></thead>
        <tbody>
          {latest.map(({ version, p }) => (
            <tr key={version} data-version={version}><td>{version}</td><td>{num(p?.rps)}</td><td>{ratio(p?.errorRate)}</td><td>{num(p?.p50)}</td><td>{num(p?.p95)}</td><td>{num(p?.p99)}</td><td>{num(p?.output?.p50)}</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
