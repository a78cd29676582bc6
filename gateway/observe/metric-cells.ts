/**
 * Plain-number counters and histograms for the request path, exported to a
 * prom-client Registry at scrape time. prom-client's own `inc`/`observe` hash
 * and validate the label set on every call, even on a labelled child (measured
 * here: about 0.9 µs per counter inc and 1.3 µs per histogram observe); these
 * cells are a few field updates, and labels are formatted only when scraped.
 */
import type { Metric, Registry } from 'prom-client'

export class HistogramCell {
  /** Non-cumulative count per bucket; values above the last bound only count in `count`. */
  readonly buckets: Float64Array
  sum = 0
  count = 0

  constructor (readonly bounds: readonly number[]) {
    this.buckets = new Float64Array(bounds.length)
  }

  observe (v: number): void {
    const b = this.bounds
    let i = 0
    while (i < b.length && v > b[i]!) i++
    if (i < b.length) this.buckets[i]!++
    this.sum += v
    this.count++
  }

  reset (): void {
    this.buckets.fill(0)
    this.sum = 0
    this.count = 0
  }
}

type Labels = Record<string, string | number>

export interface Sample {
  metricName?: string
  labels: Labels
  value: number
}

/** Prometheus samples of one histogram cell: cumulative buckets with `le`, then _sum and _count. */
export function histogramSamples (name: string, labels: Labels, cell: HistogramCell, out: Sample[]): void {
  let acc = 0
  for (let i = 0; i < cell.bounds.length; i++) {
    acc += cell.buckets[i]!
    out.push({ metricName: `${name}_bucket`, labels: { le: cell.bounds[i]!, ...labels }, value: acc })
  }
  out.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...labels }, value: cell.count })
  out.push({ metricName: `${name}_sum`, labels, value: cell.sum })
  out.push({ metricName: `${name}_count`, labels, value: cell.count })
}

/**
 * Registers a metric whose samples are produced by `read` at scrape time. The
 * registry only calls get() (and reset() on resetMetrics()), so an object with
 * those is enough; prom-client types metrics by class, hence the cast.
 */
export function registerCollected (registry: Registry, name: string, help: string, type: 'counter' | 'histogram', read: () => Sample[], reset: () => void): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: read() }),
    reset
  }
  registry.registerMetric(metric as unknown as Metric)
}
