/**
 * `model-gateway batch`: score a file through the gateway. Options are checked
 * here; the job is gateway/batch/run.ts. Exit codes: 0 done, 1 the job stopped
 * (the message says why; --resume continues), 2 usage, 3 done but more rows
 * were rejected than --max-reject-share allows (default: any), 130 interrupted
 * (checkpoint written; --resume continues).
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { readEnv } from '../../config/env.js'
import { runBatch } from '../../batch/run.js'
import { EXIT_INTERRUPTED, EXIT_REJECTS, exitCode, rejectShare } from '../../batch/summary.js'
import { parsePartition, type Partition, type PartitionBy } from '../../batch/partition.js'
import { parseMapArgs, parseMapFile } from '../../batch/rows.js'
import {
  DEFAULT_BACKOFF_MS, DEFAULT_BATCH_SIZE, DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_CONCURRENCY, DEFAULT_GATEWAY_URL,
  DEFAULT_MAX_BACKOFF_MS, DEFAULT_PROGRESS_INTERVAL_MS, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, MAX_BATCH_SIZE, MAX_CONCURRENCY,
  formatOf, type BatchOptions
} from '../../batch/options.js'
import type { ProgressMode } from '../../batch/progress.js'
import type { Command } from '../command.js'
import { UsageError } from '../usage-error.js'

export interface CliBatchOptions extends BatchOptions {
  /** Share of rows (0..1) that may be rejected before the exit code says so. */
  maxRejectShare: number
}

const USAGE = `usage: npx model-gateway batch --model M --input FILE --output FILE [options]

Scores every row of FILE (NDJSON, or CSV with a header line) through the gateway,
in micro-batches, and writes one output row per input row, in input order.

  --url URL               gateway (or model server) base URL (default $MODEL_GATEWAY_URL or ${DEFAULT_GATEWAY_URL})
  --model M               model name
  --input FILE            .csv is CSV, anything else NDJSON (--input-format to say)
  --output FILE           .csv is CSV, anything else NDJSON (--output-format to say)
  --rejects FILE          rows that cannot be scored, with line number and reason (default OUTPUT.rejects.ndjson)
  --checkpoint FILE       progress for --resume (default OUTPUT.checkpoint.json)
  --batch-size B          rows per request (default ${DEFAULT_BATCH_SIZE})
  --concurrency C         requests in flight (default ${DEFAULT_CONCURRENCY})
  --version V             score every row on version V
  --key-column COL        route each row by COL as the sticky key of the model's live split
                          (reads split and seed from the admin API: --admin-url, --token)
  --keep COL,...          input columns copied to each output row (default: the key columns)
  --map INPUT=COL,...     columns that fill a model input, in order (repeatable); inputs not
                          named are filled from the column of the same name
  --map-file FILE         the same as JSON: {"INPUT": ["COL", ...]}
  --partition I/N         score partition I of N (0-based; in an Indexed Job: $(JOB_COMPLETION_INDEX)/N)
  --partition-by hash|bytes   by hash of --partition-key (default: --key-column), or by
                          line-aligned byte ranges (default when there is no key column)
  --partition-key COL     column hashed for --partition-by hash
  --resume                continue from the checkpoint (a fresh start when there is none)
  --retries N             retries of a batch on 5xx, 408, 429 or no answer (default ${DEFAULT_RETRIES})
  --max-reject-share X    share of rows (0..1) that may be rejected and still exit 0
                          (default 0: any rejected row makes the exit code 3)
  --timeout-ms MS         per request (default ${DEFAULT_TIMEOUT_MS})
  --progress auto|bar|json|off   bar on a terminal, JSON lines otherwise (default auto)
  --progress-interval-ms MS      between JSON progress lines (default ${DEFAULT_PROGRESS_INTERVAL_MS})
  --admin-url URL, --token TOKEN admin API (env MODEL_GATEWAY_ADMIN_URL, MODEL_GATEWAY_TOKEN)

With access control on, the data-plane API key comes from MODEL_GATEWAY_API_KEY;
its application needs the batch right, else its rows count as live traffic.

In OUTPUT, REJECTS and CHECKPOINT, {i} stands for the partition index.
Exit codes: 0 done, 1 stopped (the message says why; --resume continues), 2 usage,
3 done with more rejected rows than --max-reject-share allows, 130 interrupted.
`

function int (flags: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const raw = flags[name]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`)
  return n
}

function str (flags: Record<string, unknown>, name: string): string | undefined {
  const v = flags[name]
  return typeof v === 'string' ? v : undefined
}

function required (flags: Record<string, unknown>, name: string): string {
  const v = str(flags, name)
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`)
  return v
}

function oneOf<T extends string> (value: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`)
  return value as T
}

export function batchOptions (argv: string[], env = readEnv(), isTTY = process.stderr.isTTY === true): CliBatchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: Object.fromEntries([
      ...['url', 'model', 'input', 'output', 'rejects', 'checkpoint', 'batch-size', 'concurrency', 'version', 'key-column', 'keep',
        'map-file', 'partition', 'partition-by', 'partition-key', 'retries', 'timeout-ms', 'progress', 'progress-interval-ms',
        'checkpoint-interval-ms', 'admin-url', 'token', 'input-format', 'output-format', 'max-reject-share'].map(n => [n, { type: 'string' as const }]),
      ['map', { type: 'string' as const, multiple: true }],
      ['resume', { type: 'boolean' as const }]
    ])
  })
  const f = values as Record<string, string | undefined> & { map?: string[], resume?: boolean }
  const partition: Partition | undefined = f.partition === undefined ? undefined : parsePartition(f.partition)
  const at = (p: string): string => partition === undefined ? p : p.replaceAll('{i}', String(partition.index))
  const output = at(required(f, 'output'))
  const keyColumn = str(f, 'key-column')
  const version = str(f, 'version')
  if (keyColumn !== undefined && version !== undefined) throw new UsageError('--key-column routes by the live split, --version picks one version: give one of them')
  const partitionKey = str(f, 'partition-key') ?? keyColumn
  const partitionBy = oneOf<PartitionBy>(str(f, 'partition-by'), 'partition-by', ['hash', 'bytes'], partitionKey === undefined ? 'bytes' : 'hash')
  if (partitionBy === 'hash' && partitionKey === undefined && partition !== undefined) throw new UsageError('--partition-by hash needs --partition-key (or --key-column)')
  let map = parseMapArgs(f.map ?? [])
  const mapFile = str(f, 'map-file')
  if (mapFile !== undefined) {
    if (map.size > 0) throw new UsageError('give --map or --map-file, not both')
    let json: unknown
    try {
      json = JSON.parse(readFileSync(mapFile, 'utf8'))
    } catch (err) {
      throw new UsageError(`--map-file ${mapFile}: ${(err as Error).message}`)
    }
    map = parseMapFile(json, mapFile)
  }
  const keep = f.keep === undefined
    ? [...new Set([keyColumn, partitionKey].filter((c): c is string => c !== undefined))]
    : f.keep.split(',').map((c: string) => c.trim()).filter((c: string) => c !== '')
  const input = required(f, 'input')
  const progress = str(f, 'progress') ?? 'auto'
  const adminUrl = str(f, 'admin-url') ?? env.MODEL_GATEWAY_ADMIN_URL
  if (keyColumn !== undefined && adminUrl === undefined) throw new UsageError('--key-column needs the admin API for the split and seed: --admin-url (or MODEL_GATEWAY_ADMIN_URL)')
  const share = str(f, 'max-reject-share')
  const maxRejectShare = share === undefined ? 0 : Number(share)
  if (share !== undefined && (share.trim() === '' || !(maxRejectShare >= 0 && maxRejectShare <= 1))) throw new UsageError(`--max-reject-share must be a number from 0 to 1, got ${JSON.stringify(share)}`)
  return {
    maxRejectShare,
    url: str(f, 'url') ?? env.MODEL_GATEWAY_URL ?? DEFAULT_GATEWAY_URL,
    model: required(f, 'model'),
    input,
    output,
    rejects: at(str(f, 'rejects') ?? `${output}.rejects.ndjson`),
    checkpoint: at(str(f, 'checkpoint') ?? `${output}.checkpoint.json`),
    inputFormat: oneOf(str(f, 'input-format'), 'input-format', ['ndjson', 'csv'], formatOf(input)),
    outputFormat: oneOf(str(f, 'output-format'), 'output-format', ['ndjson', 'csv'], formatOf(output)),
    batchSize: int(f, 'batch-size', DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE),
    concurrency: int(f, 'concurrency', DEFAULT_CONCURRENCY, 1, MAX_CONCURRENCY),
    version,
    keyColumn,
    adminUrl,
    token: str(f, 'token') ?? env.MODEL_GATEWAY_TOKEN,
    // From the environment only, so the key never shows in a process listing.
    apiKey: env.MODEL_GATEWAY_API_KEY,
    keep,
    map,
    partition,
    partitionBy,
    partitionKey,
    resume: f.resume === true,
    retries: int(f, 'retries', DEFAULT_RETRIES, 0, 100),
    backoffMs: DEFAULT_BACKOFF_MS,
    maxBackoffMs: DEFAULT_MAX_BACKOFF_MS,
    timeoutMs: int(f, 'timeout-ms', DEFAULT_TIMEOUT_MS, 1, 3_600_000),
    checkpointIntervalMs: int(f, 'checkpoint-interval-ms', DEFAULT_CHECKPOINT_INTERVAL_MS, 10, 3_600_000),
    progress: progress === 'auto' ? (isTTY ? 'bar' : 'json') : oneOf<ProgressMode>(progress, 'progress', ['bar', 'json', 'off'], 'json'),
    progressIntervalMs: int(f, 'progress-interval-ms', DEFAULT_PROGRESS_INTERVAL_MS, 10, 3_600_000),
    write: (text) => { process.stderr.write(text) }
  }
}

const command: Command = {
  summary: 'score a file (NDJSON or CSV) through the gateway: micro-batched, partitioned, resumable',
  async run (argv) {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(USAGE)
      return 0
    }
    let options: CliBatchOptions
    try {
      options = batchOptions(argv)
    } catch (err) {
      process.stderr.write(`model-gateway batch: ${(err as Error).message}\n\n${USAGE}`)
      return 2
    }
    const controller = new AbortController()
    const stop = (): void => controller.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      const summary = await runBatch({ ...options, signal: controller.signal })
      process.stdout.write(`${JSON.stringify(summary)}\n`)
      const code = exitCode(summary, options.maxRejectShare)
      if (code === EXIT_INTERRUPTED) {
        process.stderr.write('model-gateway batch: interrupted; the checkpoint is written, continue with --resume\n')
      } else if (code === EXIT_REJECTS) {
        process.stderr.write(`model-gateway batch: ${summary.rejects} of ${summary.rows + summary.rejects} rows rejected (${(rejectShare(summary) * 100).toFixed(2)}%), more than --max-reject-share ${options.maxRejectShare} allows; the reasons are in ${summary.rejectsFile}\n`)
      }
      return code
    } catch (err) {
      process.stderr.write(`model-gateway batch: ${(err as Error).message}\n`)
      return 1
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
  }
}

export default command
