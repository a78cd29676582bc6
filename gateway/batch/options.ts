/** What a batch job is told, with its defaults (documented in README "Batch scoring"). */
import { TRAFFIC_HEADER } from '../config/defaults.js'
import type { Traffic } from '../observe/outcome.js'
import type { Partition, PartitionBy } from './partition.js'
import type { InputFormat } from './rows.js'
import type { OutputFormat } from './format.js'
import type { ProgressMode } from './progress.js'

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8080'
export const DEFAULT_BATCH_SIZE = 256
export const DEFAULT_CONCURRENCY = 4
export const DEFAULT_RETRIES = 8
export const DEFAULT_BACKOFF_MS = 100
export const DEFAULT_MAX_BACKOFF_MS = 5_000
export const DEFAULT_TIMEOUT_MS = 30_000
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1_000
export const DEFAULT_PROGRESS_INTERVAL_MS = 5_000
export const MAX_BATCH_SIZE = 65_536
export const MAX_CONCURRENCY = 1_024

/**
 * Sent on every batch request (header and value are the data plane's own), so
 * the gateway's pipeline records the traffic as batch in records and rollups:
 * analysts tell batch and real time apart.
 */
export { TRAFFIC_HEADER }
export const TRAFFIC_BATCH: Traffic = 'batch'

export interface BatchOptions {
  /** Gateway (or model server) base URL. */
  url: string
  model: string
  input: string
  output: string
  rejects: string
  checkpoint: string
  inputFormat: InputFormat
  outputFormat: OutputFormat
  batchSize: number
  concurrency: number
  /** Score every row on this version (`/versions/{v}/infer`). */
  version?: string
  /** Route each row by this column, as the sticky key of the model's live split. */
  keyColumn?: string
  /** Admin API, for the split and seed when keyColumn is set. */
  adminUrl?: string
  token?: string
  /** Data-plane API key (MODEL_GATEWAY_API_KEY) when the gateway's access control is on; its application needs the batch right. */
  apiKey?: string
  /** Input columns copied into each output row. */
  keep: string[]
  /** input name -> columns; inputs not named are filled from the column of the same name. */
  map: ReadonlyMap<string, string[]>
  partition?: Partition
  partitionBy: PartitionBy
  /** hash partitions: the column hashed. */
  partitionKey?: string
  resume: boolean
  retries: number
  backoffMs: number
  maxBackoffMs: number
  timeoutMs: number
  checkpointIntervalMs: number
  progress: ProgressMode
  progressIntervalMs: number
  /** Progress display and notices (stderr in the CLI). */
  write: (text: string) => void
  /** Stops the job cleanly: in-flight batches finish, the checkpoint is written. */
  signal?: AbortSignal
}

export interface BatchSummary {
  rows: number
  rejects: number
  retries: number
  requests: number
  /** Rows scored per version in this run. */
  versions: Record<string, number>
  elapsedMs: number
  rowsPerSecond: number
  resumed: boolean
  /** False when stopped by the signal before the end: continue with --resume. */
  complete: boolean
  /** The checkpoint said the job was complete already; nothing was sent. */
  alreadyDone: boolean
  output: string
  rejectsFile: string
}

/** The format a file name implies: .csv (or .csv.*) is CSV, anything else NDJSON. */
export function formatOf (file: string): 'csv' | 'ndjson' {
  return /\.csv$/i.test(file) ? 'csv' : 'ndjson'
}
