/**
 * A model's named verification suites, loaded once when the gateway starts:
 * each golden file read (relative to the config file) and checked line by line,
 * each budget filled in from the defaults. A file that cannot be read or holds a
 * bad line is a config error naming the file, the path in the config and why.
 */
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, join } from 'node:path'
import { ConfigError, type GatewayConfig } from '../config/load.js'
import type { SuiteConfig } from '../config/schema.js'
import { DEFAULT_BUDGETS } from './checks.js'
import { GoldenError, goldenCases, parseGoldenText, type GoldenCase } from './golden.js'
import { DEFAULT_ROUNDS } from './run.js'

export interface LoadedGoldenFile {
  /** As written in the config. */
  file: string
  cases: GoldenCase[]
  tolerance: number
  minAgreement: number
}

export interface ReplaySettings {
  windowMs: number
  requests: number
  concurrency: number
  tolerance: number
  minAgreement: number
  maxErrorRate: number
  latencyRatio: number
  latencySlackMs: number
}

export interface LoadedSuite {
  name: string
  files: LoadedGoldenFile[]
  replay: ReplaySettings | null
  rounds: number
  latencyRatio: number
  latencySlackMs: number
}

/** Suites by model, then by name. */
export type SuitesByModel = Readonly<Record<string, Readonly<Record<string, LoadedSuite>>>>

export const DEFAULT_REPLAY: Readonly<ReplaySettings> = Object.freeze({
  windowMs: 3_600_000, requests: 500, concurrency: 8, tolerance: 1e-6, minAgreement: 0.99, maxErrorRate: 0, latencyRatio: 2, latencySlackMs: 20
})

export function loadSuites (config: Pick<GatewayConfig, 'file' | 'models'>): SuitesByModel {
  const out: Record<string, Record<string, LoadedSuite>> = {}
  for (const [model, m] of Object.entries(config.models)) {
    out[model] = {}
    for (const [name, s] of Object.entries(m.suites)) out[model][name] = loadSuite(config.file, `models.${model}.verification.suites.${name}`, name, s)
  }
  return out
}

function loadSuite (configFile: string, path: string, name: string, s: SuiteConfig): LoadedSuite {
  const files = (s.files ?? []).map((f, i): LoadedGoldenFile => {
    const where = isAbsolute(f.file) ? f.file : join(dirname(configFile), f.file)
    let text: string
    try {
      text = readFileSync(where, 'utf8')
    } catch (err) {
      throw new ConfigError(configFile, `${path}.files[${i}].file`, `cannot read ${where} (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
    }
    let cases: GoldenCase[]
    try {
      cases = goldenCases(parseGoldenText(text, f.file), f.file)
    } catch (err) {
      if (err instanceof GoldenError) throw new ConfigError(configFile, `${path}.files[${i}].file`, err.message)
      throw err
    }
    return { file: f.file, cases, tolerance: f.tolerance ?? DEFAULT_BUDGETS.tolerance, minAgreement: f.minAgreement ?? DEFAULT_BUDGETS.minAgreement }
  })
  return {
    name,
    files,
    replay: s.replay === undefined ? null : { ...DEFAULT_REPLAY, ...s.replay },
    rounds: s.rounds ?? DEFAULT_ROUNDS,
    latencyRatio: s.latencyRatio ?? DEFAULT_BUDGETS.latencyRatio,
    latencySlackMs: s.latencySlackMs ?? DEFAULT_BUDGETS.latencySlackMs
  }
}
