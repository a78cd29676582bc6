import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { InvalidInputError } from '../../validate.js'
import type { PredictFn } from '../../server.js'
import type { InputSpec, Tensor, TensorMetadata } from '../../types.js'

/** Logistic regression over standardized features: p = 1 / (1 + e^-(b + sum w_i (x_i - mean_i) / scale_i)). */
export interface FraudWeights {
  version: string
  features: string[]
  means: number[]
  scales: number[]
  coefficients: number[]
  intercept: number
}

export const FEATURES = ['amount', 'account_age_days', 'tx_last_24h', 'distance_km'] as const
export const FEATURE_COUNT = FEATURES.length
export const INPUT_NAME = 'features'
export const OUTPUT_NAME = 'fraud_probability'

export const FRAUD_INPUTS: readonly InputSpec[] = [
  { name: INPUT_NAME, datatype: 'FP64', shape: [-1, FEATURE_COUNT], alsoAccept: ['FP32'] }
]
export const FRAUD_OUTPUTS: readonly TensorMetadata[] = [
  { name: OUTPUT_NAME, datatype: 'FP64', shape: [-1] }
]

function isNumberArray (v: unknown, length: number): v is number[] {
  return Array.isArray(v) && v.length === length && v.every((x) => typeof x === 'number' && Number.isFinite(x))
}

/** Checks a parsed weights file; throws a message naming the bad field. */
export function validateWeights (raw: unknown, source = 'weights'): FraudWeights {
  const w = raw as Partial<FraudWeights> | null
  if (typeof w !== 'object' || w === null) throw new Error(`${source}: not a JSON object`)
  if (typeof w.version !== 'string') throw new Error(`${source}: 'version' must be a string`)
  if (!Array.isArray(w.features) || w.features.join() !== FEATURES.join()) {
    throw new Error(`${source}: 'features' must be ${JSON.stringify(FEATURES)}`)
  }
  for (const field of ['means', 'scales', 'coefficients'] as const) {
    if (!isNumberArray(w[field], FEATURE_COUNT)) throw new Error(`${source}: '${field}' must be ${FEATURE_COUNT} finite numbers`)
  }
  if (w.scales!.some((s) => s <= 0)) throw new Error(`${source}: 'scales' must be positive`)
  if (typeof w.intercept !== 'number' || !Number.isFinite(w.intercept)) throw new Error(`${source}: 'intercept' must be a finite number`)
  return w as FraudWeights
}

/** Fraud probability of each row of a row-major [rows, 4] matrix. */
export function scoreRows (weights: FraudWeights, data: readonly number[], rows: number): number[] {
  const { means, scales, coefficients, intercept } = weights
  const out = new Array<number>(rows)
  for (let r = 0; r < rows; r++) {
    let z = intercept
    const base = r * FEATURE_COUNT
    for (let i = 0; i < FEATURE_COUNT; i++) {
      z += coefficients[i]! * (data[base + i]! - means[i]!) / scales[i]!
    }
    out[r] = 1 / (1 + Math.exp(-z))
  }
  return out
}

/** predict() for serve(); `delayMs` adds latency (for timeout tests). */
export function createPredict (weights: FraudWeights, delayMs = 0): PredictFn {
  const score = (inputs: Tensor[]): Tensor[] => {
    const features = inputs[0]!
    const rows = features.shape[0]!
    const probabilities = scoreRows(weights, features.data as number[], rows)
    if (probabilities.some((p) => Number.isNaN(p))) throw new InvalidInputError('features produced NaN')
    return [{ name: OUTPUT_NAME, shape: [rows], datatype: 'FP64', data: probabilities }]
  }
  if (delayMs <= 0) return score
  return async (inputs) => {
    await sleep(delayMs)
    return score(inputs)
  }
}

/**
 * The repository root, found by walking up to package.json. Works from the
 * TypeScript source and from dist/, where tsc does not copy the JSON files.
 */
export function findRepoRoot (from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`)
  }
}

export interface LoadedWeights {
  weights: FraudWeights
  file: string
  /** True when weights-<version>.json was absent and v1 was loaded instead. */
  fellBack: boolean
}

function weightsFile (version: string): string | undefined {
  const name = `weights-${version}.json`
  const here = join(dirname(fileURLToPath(import.meta.url)), name)
  if (existsSync(here)) return here
  const inSource = join(findRepoRoot(), 'scorer-sdk', 'examples', 'fraud', name)
  return existsSync(inSource) ? inSource : undefined
}

/** Loads weights-<version>.json, falling back to v1 so any version name can be started. */
export function loadWeights (version: string): LoadedWeights {
  if (!/^[A-Za-z0-9._-]+$/.test(version)) throw new Error(`invalid version ${JSON.stringify(version)}`)
  let file = weightsFile(version)
  let fellBack = false
  if (file === undefined) {
    file = weightsFile('v1')
    fellBack = true
    if (file === undefined) throw new Error('weights-v1.json not found')
  }
  const weights = validateWeights(JSON.parse(readFileSync(file, 'utf8')), file)
  return { weights, file, fellBack }
}

/** Fails a share `errorRate` of calls with an error (answered 500), for release tests; 0 leaves predict as it is. */
export function withFaults (predict: PredictFn, errorRate: number, random: () => number = Math.random): PredictFn {
  if (errorRate <= 0) return predict
  return (inputs, context) => {
    if (random() < errorRate) throw new Error('injected fault (--error-rate)')
    return predict(inputs, context)
  }
}
