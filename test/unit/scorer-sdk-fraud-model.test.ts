import { describe, expect, it } from 'vitest'
import { createPredict, loadWeights, scoreRows, validateWeights } from '../../scorer-sdk/examples/fraud/model.js'
import type { FraudWeights } from '../../scorer-sdk/examples/fraud/model.js'

// Hand-picked weights so that z is easy to compute on paper.
const weights: FraudWeights = {
  version: 'test',
  features: ['amount', 'account_age_days', 'tx_last_24h', 'distance_km'],
  means: [120, 900, 3, 25],
  scales: [250, 700, 4, 120],
  coefficients: [0.8, -0.6, 0.5, 0.7],
  intercept: -3
}

describe('fraud logistic regression', () => {
  it('gives sigmoid(intercept) for a row at the feature means', () => {
    // z = -3, p = 1 / (1 + e^3)
    expect(scoreRows(weights, [120, 900, 3, 25], 1)[0]).toBeCloseTo(0.04742587317756678, 12)
  })

  it('standardizes each feature before weighting it', () => {
    // standardized: (620-120)/250 = 2, (200-900)/700 = -1, (7-3)/4 = 1, (265-25)/120 = 2
    // z = -3 + 0.8*2 - 0.6*-1 + 0.5*1 + 0.7*2 = 1.1, p = 1 / (1 + e^-1.1)
    expect(scoreRows(weights, [620, 200, 7, 265], 1)[0]).toBeCloseTo(0.7502601055951177, 12)
  })

  it('scores a batch row by row', () => {
    const p = scoreRows(weights, [120, 900, 3, 25, 620, 200, 7, 265], 2)
    expect(p).toHaveLength(2)
    expect(p[0]).toBeCloseTo(0.04742587317756678, 12)
    expect(p[1]).toBeCloseTo(0.7502601055951177, 12)
  })

  it('ships v1 weights equal to the hand-checked ones and different v2 weights', () => {
    const v1 = loadWeights('v1')
    const v2 = loadWeights('v2')
    expect(v1.fellBack).toBe(false)
    expect(scoreRows(v1.weights, [620, 200, 7, 265], 1)[0]).toBeCloseTo(0.7502601055951177, 12)
    // v2: z = -3.4 + 0.95*(485/300) - 0.45*(-800/800) + 0.9*(3.5/5) + 0.55*(235/150) = 0.0775
    expect(scoreRows(v2.weights, [620, 200, 7, 265], 1)[0]).toBeCloseTo(1 / (1 + Math.exp(-0.0775)), 12)
  })

  it('falls back to the v1 weights for a version without a weights file', () => {
    const v3 = loadWeights('v3')
    expect(v3.fellBack).toBe(true)
    expect(v3.weights.version).toBe('v1')
  })

  it('rejects version names that could escape the folder', () => {
    expect(() => loadWeights('../v1')).toThrow(/invalid version/)
  })

  it('rejects malformed weights with the field name', () => {
    expect(() => validateWeights({ ...weights, scales: [1, 0, 1, 1] })).toThrow(/'scales' must be positive/)
    expect(() => validateWeights({ ...weights, coefficients: [1, 2] })).toThrow(/'coefficients'/)
  })

  it('predict returns one FP64 probability per row', () => {
    const out = createPredict(weights)([{ name: 'features', shape: [2, 4], datatype: 'FP32', data: [120, 900, 3, 25, 620, 200, 7, 265] }],
      { id: undefined, parameters: undefined, version: 'test' })
    expect(out).toEqual([{ name: 'fraud_probability', shape: [2], datatype: 'FP64', data: [expect.closeTo(0.0474258, 6), expect.closeTo(0.7502601, 6)] }])
  })
})
