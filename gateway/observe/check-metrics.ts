/**
 * The health-check latency histogram as plain cells (metric-cells.ts): at
 * 12,000 replicas a gateway records 200 probe results a second, and
 * prom-client's observe hashes and validates the label set on each, labelled
 * child or not. A result finds its cell in nested maps; samples are built at
 * scrape time, under the same name and labels as before.
 */
import type { Registry } from 'prom-client'
import { HistogramCell, histogramSamples, registerCollected, type Sample } from './metric-cells.js'

interface CheckCells {
  readonly model: string
  readonly version: string
  readonly ok: HistogramCell
  readonly fail: HistogramCell
}

export class CheckDurationCells {
  /** model -> version -> cells; never pruned, so counts never go backwards (label values are configured names). */
  readonly #cells = new Map<string, Map<string, CheckCells>>()
  readonly #bounds: readonly number[]

  constructor (registry: Registry, name: string, help: string, bounds: readonly number[]) {
    this.#bounds = bounds
    registerCollected(registry, name, help, 'histogram', () => {
      const out: Sample[] = []
      for (const byVersion of this.#cells.values()) {
        for (const c of byVersion.values()) {
          if (c.ok.count !== 0) histogramSamples(name, { model: c.model, version: c.version, result: 'ok' }, c.ok, out)
          if (c.fail.count !== 0) histogramSamples(name, { model: c.model, version: c.version, result: 'fail' }, c.fail, out)
        }
      }
      return out
    }, () => {
      for (const byVersion of this.#cells.values()) {
        for (const c of byVersion.values()) {
          c.ok.reset()
          c.fail.reset()
        }
      }
    })
  }

  observe (model: string, version: string, ok: boolean, seconds: number): void {
    let byVersion = this.#cells.get(model)
    if (byVersion === undefined) {
      byVersion = new Map()
      this.#cells.set(model, byVersion)
    }
    let c = byVersion.get(version)
    if (c === undefined) {
      c = { model, version, ok: new HistogramCell(this.#bounds), fail: new HistogramCell(this.#bounds) }
      byVersion.set(version, c)
    }
    (ok ? c.ok : c.fail).observe(seconds)
  }
}
