/**
 * Test and benchmark knobs of the runnable fraud model, so a release can be
 * rehearsed against versions that misbehave in a known way: another output
 * schema, answers that disagree on known inputs, or every call failing.
 */
import type { PredictFn } from '../../server.js'
import type { Tensor, TensorMetadata } from '../../types.js'
import { FEATURE_COUNT, FRAUD_OUTPUTS } from './model.js'

export interface Knobs {
  /** Name of the output tensor instead of fraud_probability (a schema change). */
  outputName?: string | undefined
  /** Rows whose amount (first feature) is above this get 1 - p (disagreement on known inputs). */
  flipAboveAmount?: number | undefined
  /** Every infer call fails with a 500. */
  fail?: boolean
}

export function outputsFor (k: Knobs): readonly TensorMetadata[] {
  return k.outputName === undefined ? FRAUD_OUTPUTS : FRAUD_OUTPUTS.map(o => ({ ...o, name: k.outputName! }))
}

export function withKnobs (predict: PredictFn, k: Knobs): PredictFn {
  if (k.fail === true) {
    return () => { throw new Error('this replica fails every call (--fail)') }
  }
  if (k.outputName === undefined && k.flipAboveAmount === undefined) return predict
  const adjust = (inputs: Tensor[], outputs: Tensor[]): Tensor[] => outputs.map(o => {
    let data = o.data as number[]
    if (k.flipAboveAmount !== undefined) {
      const x = inputs[0]!.data as number[]
      data = data.map((p, r) => x[r * FEATURE_COUNT]! > k.flipAboveAmount! ? 1 - p : p)
    }
    return { ...o, name: k.outputName ?? o.name, data }
  })
  return (inputs, ctx) => {
    const out = predict(inputs, ctx)
    return Array.isArray(out) ? adjust(inputs, out) : out.then(o => adjust(inputs, o))
  }
}
