import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Histogram, Registry } from 'prom-client'
import { HistogramCell, histogramSamples, registerCollected, type Sample } from '../../gateway/observe/metric-cells.js'
import { DURATION_BUCKETS } from '../../gateway/observe/metrics.js'

// The plain-number histogram must print exactly what prom-client's own
// Histogram prints for the same observations, so dashboards cannot tell them apart.

describe('HistogramCell exported through the registry', () => {
  it('matches prom-client Histogram output for any observations', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.double({ min: 0, max: 20, noNaN: true }), { maxLength: 200 }), async (values) => {
      const ours = new Registry()
      const cell = new HistogramCell(DURATION_BUCKETS)
      registerCollected(ours, 'h_seconds', 'help', 'histogram', () => {
        const out: Sample[] = []
        if (cell.count !== 0) histogramSamples('h_seconds', { model: 'fraud', version: 'v1' }, cell, out)
        return out
      }, () => { cell.reset() })
      const theirs = new Registry()
      const h = new Histogram({ name: 'h_seconds', help: 'help', labelNames: ['model', 'version'], buckets: [...DURATION_BUCKETS], registers: [theirs] })
      for (const v of values) {
        cell.observe(v)
        h.labels('fraud', 'v1').observe(v)
      }
      expect(await ours.metrics()).toBe(await theirs.metrics())
    }), { numRuns: 50 })
  })

  it('resets with the registry', async () => {
    const r = new Registry()
    const cell = new HistogramCell([1])
    registerCollected(r, 'x', 'help', 'histogram', () => {
      const out: Sample[] = []
      histogramSamples('x', {}, cell, out)
      return out
    }, () => { cell.reset() })
    cell.observe(0.5)
    cell.observe(3)
    expect(await r.metrics()).toContain('x_bucket{le="1"} 1\nx_bucket{le="+Inf"} 2\nx_sum 3.5\nx_count 2')
    r.resetMetrics()
    expect(await r.metrics()).toContain('x_count 0')
  })
})
