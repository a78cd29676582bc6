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
  /**
   * Each row gets the score of another, earlier row (from a ring of recent
   * scores): the outputs keep their distribution exactly, but no longer follow
   * the inputs — a model that is wrong more often without looking different.
   */
  shuffle?: boolean
}

/** Recent scores a shuffling model answers from. */
export const SHUFFLE_RING = 64

export function outputsFor (k: Knobs): readonly TensorMetadata[] {
  return k.outputName === undefined ? FRAUD_OUTPUTS : FRAUD_OUTPUTS.map(o => ({ ...o, name: k.outputName! }))
}

export function withKnobs (predict: PredictFn, k: Knobs): PredictFn {
  if (k.fail === true) {
    return () => { throw new Error('this replica fails every call (--fail)') }
  }
  if (k.outputName === undefined && k.flipAboveAmount === undefined && k.shuffle !== true) return predict
  const ring: number[] = []
  let n = 0
  const shuffled = (p: number): number => {
    // A fixed stride through the ring: deterministic, and never the row's own score once the ring is full.
    const out = ring.length < SHUFFLE_RING ? p : ring[(n * 37) % SHUFFLE_RING]!
    ring[n % SHUFFLE_RING] = p
    n++
    return out
  }
  const adjust = (inputs: Tensor[], outputs: Tensor[]): Tensor[] => outputs.map(o => {
    let data = o.data as number[]
    if (k.flipAboveAmount !== undefined) {
      const x = inputs[0]!.data as number[]
      data = data.map((p, r) => x[r * FEATURE_COUNT]! > k.flipAboveAmount! ? 1 - p : p)
    }
    if (k.shuffle === true) data = data.map(shuffled)
    return { ...o, name: k.outputName ?? o.name, data }
  })
  return (inputs, ctx) => {
    const out = predict(inputs, ctx)
    return Array.isArray(out) ? adjust(inputs, out) : out.then(o => adjust(inputs, o))
  }
}
