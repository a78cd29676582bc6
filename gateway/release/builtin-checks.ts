/**
 * The three checks every gateway has, registered with their settings' parsers:
 * errors (mSPRT on 5xx rates), latency (quantile ratios and a rank test) and
 * outputs (PSI, KS and mean shift of one prediction). See analysis.ts for what
 * each computes and docs/release-guide.md for the settings.
 */
import { errorsCheck, latencyCheck, outputsCheck, type ErrorsCheck, type LatencyCheck, type OutputsCheck } from './analysis.js'
import { registerCheckKind } from './check-registry.js'
import { int, known, mapping, num, show } from './plan-fields.js'

registerCheckKind<ErrorsCheck>({
  name: 'errors',
  sequential: true,
  parse (c, path, fail) {
    known(c, path, ['maxIncrease', 'minRequests'], fail)
    return {
      maxIncrease: num(c.maxIncrease, `${path}.maxIncrease`, 0, 1, 0.005, fail),
      minRequests: int(c.minRequests, `${path}.minRequests`, 1, 1e9, 200, fail)
    }
  },
  run: errorsCheck
})

registerCheckKind<LatencyCheck>({
  name: 'latency',
  sequential: false,
  parse (c, path, fail) {
    known(c, path, ['maxRatio', 'minIncreaseMs', 'minRequests'], fail)
    const ratios = c.maxRatio === undefined ? { p50: 1.5, p95: 1.5 } : mapping(c.maxRatio, `${path}.maxRatio`, fail)
    const maxRatio: Record<string, number> = {}
    for (const [q, v] of Object.entries(ratios)) {
      const m = /^p(\d{1,2}(\.\d+)?)$/.exec(q)
      if (m === null || Number(m[1]) <= 0) fail(`${path}.maxRatio.${q}`, 'must name a quantile like p50, p95 or p99.9')
      maxRatio[q] = num(v, `${path}.maxRatio.${q}`, 1, 1000, 1.5, fail)
    }
    if (Object.keys(maxRatio).length === 0) fail(`${path}.maxRatio`, 'must name at least one quantile')
    return {
      maxRatio,
      minIncreaseMs: num(c.minIncreaseMs, `${path}.minIncreaseMs`, 0, 1e6, 5, fail),
      minRequests: int(c.minRequests, `${path}.minRequests`, 1, 1e9, 200, fail)
    }
  },
  run: latencyCheck
})

registerCheckKind<OutputsCheck>({
  name: 'outputs',
  sequential: false,
  parse (c, path, fail) {
    known(c, path, ['output', 'index', 'maxPsi', 'maxMeanShift', 'minSamples'], fail)
    if (c.output !== undefined && (typeof c.output !== 'string' || c.output === '')) fail(`${path}.output`, `must be an output name, got ${show(c.output)}`)
    return {
      output: (c.output as string | undefined) ?? null,
      index: int(c.index, `${path}.index`, 0, 1e6, 0, fail),
      maxPsi: num(c.maxPsi, `${path}.maxPsi`, 0, 100, 0.2, fail),
      maxMeanShift: num(c.maxMeanShift, `${path}.maxMeanShift`, 0, 1e12, 0.05, fail),
      minSamples: int(c.minSamples, `${path}.minSamples`, 2, 1e7, 100, fail)
    }
  },
  run: outputsCheck,
  output: (c) => ({ name: c.output, index: c.index })
})
