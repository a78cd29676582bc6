/**
 * Where the analysis reads its data: one small interface, two backends —
 * ClickHouse (fleet-wide, through the scoring-log pipeline) and the instance's
 * own in-process window (a single gateway with no pipeline, e.g. the demo).
 */
import type { OutcomeSums } from '../outcomes/metrics.js'

/** What one version did over the window. */
export interface VersionWindow {
  /** Every request answered (exact). */
  requests: number
  /** 5xx answers: model errors, gateway errors (502/503) and timeouts (504). */
  errors: number
  /** Latency histogram over LATENCY_BUCKETS_MS cells (exact). */
  latency: number[]
  /** Watched output values from sampled 2xx responses (a sample). */
  outputs: number[]
  /** The same, by segment (models with segments, sources that keep them: the local one). */
  bySegment?: Record<string, VersionWindow>
}

export interface WindowQuery {
  model: string
  stable: string
  canary: string
  /** Epoch ms, inclusive. */
  from: number
  /** Epoch ms, exclusive. */
  to: number
  /**
   * The stable side over another range than [from, to): the post-promotion
   * watch compares the new version now with the previous one before promotion.
   */
  stableRange?: { from: number, to: number }
  /** Which output to read from response bodies; null when the outputs check is off. */
  output: { name: string | null, index: number } | null
  /** The outcomes check's data: requests older than maturityMs at `to`, with their outcomes; null (or absent) when it is off. */
  outcomes?: { maturityMs: number, threshold: number } | null
}

export interface WindowData {
  stable: VersionWindow
  canary: VersionWindow
  /** Newest data the source holds for the model (epoch ms), or null when it holds none; for staleness. */
  newestAt: number | null
  /** Outcome sums of each version's matured requests (ClickHouse source, when the query asked for them). */
  outcomes?: { stable: OutcomeSums, canary: OutcomeSums, matureBefore: number }
}

/** A source that cannot answer, or answers with data older than it should be. */
export class SourceUnavailable extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SourceUnavailable'
  }
}

/** Leave out the first `requests` answers of each replica of `version` (its cold start; the local source only). */
export interface SkipFirst {
  version: string
  requests: number
}

export interface AnalysisSource {
  readonly name: 'local' | 'clickhouse'
  /** Throws SourceUnavailable when the source is down. */
  window (q: WindowQuery): Promise<WindowData>
  /** Asks the source to keep what analysis of `model` needs (the local window only records watched models). */
  watch (model: string, versions: readonly string[], output: WindowQuery['output'], skip?: SkipFirst): void
  /** The model's rollout ended: stop keeping what its analysis needed. */
  unwatch? (model: string): void
  close (): Promise<void>
}

export function emptyVersionWindow (cells: number): VersionWindow {
  return { requests: 0, errors: 0, latency: new Array<number>(cells).fill(0), outputs: [] }
}

/** The watched output of an OIP response body (shared with the assignment ledger's prediction reader). */
export { outputValue } from '../observe/prediction.js'
