import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ScorerClient } from '../../scorer-sdk/client.js'
import { DEFAULT_BACKOFF_MS, DEFAULT_MAX_BACKOFF_MS, type BatchOptions } from '../../gateway/batch/options.js'
import { seeded } from './seeded-random.js'

// What the batch tests share: a deterministic input file of fraud rows, the
// options of a job, output reading, and the reference scores from the model
// process itself.

export const FEATURE_COLUMNS = ['amount', 'account_age_days', 'tx_last_24h', 'distance_km'] as const
export const FEATURE_MAP = new Map([['features', [...FEATURE_COLUMNS]]])
export const MAP_ARG = `features=${FEATURE_COLUMNS.join(',')}`

export interface InputRow { id: number, user: string, amount: number, account_age_days: number, tx_last_24h: number, distance_km: number }

export function makeRows (count: number, users = 1000, seed = 13): InputRow[] {
  const random = seeded(seed)
  const rows: InputRow[] = []
  for (let id = 0; id < count; id++) {
    rows.push({
      id,
      user: `user-${Math.floor(random() * users)}`,
      amount: Math.round(random() * 200_000) / 100,
      account_age_days: Math.floor(random() * 3000),
      tx_last_24h: Math.floor(random() * 20),
      distance_km: Math.round(random() * 50_000) / 100
    })
  }
  return rows
}

export async function writeNdjson (file: string, rows: readonly object[]): Promise<void> {
  await writeFile(file, rows.map(r => JSON.stringify(r)).join('\n') + '\n')
}

export async function writeCsv (file: string, rows: readonly InputRow[]): Promise<void> {
  const cols = ['id', 'user', ...FEATURE_COLUMNS] as const
  await writeFile(file, [cols.join(','), ...rows.map(r => cols.map(c => String(r[c])).join(','))].join('\n') + '\n')
}

export async function readNdjson<T = Record<string, unknown>> (file: string): Promise<T[]> {
  const text = await readFile(file, 'utf8')
  return text.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as T)
}

/** A job over `dir`/in.ndjson into `dir`/out.ndjson, progress off; `over` replaces any field. */
export function jobOptions (dir: string, url: string, over: Partial<BatchOptions> = {}): BatchOptions {
  const output = over.output ?? join(dir, 'out.ndjson')
  return {
    url,
    model: 'fraud',
    input: join(dir, 'in.ndjson'),
    output,
    rejects: `${output}.rejects.ndjson`,
    checkpoint: `${output}.checkpoint.json`,
    inputFormat: 'ndjson',
    outputFormat: 'ndjson',
    batchSize: 256,
    concurrency: 4,
    keep: ['id'],
    map: FEATURE_MAP,
    partitionBy: 'bytes',
    resume: false,
    retries: 8,
    backoffMs: DEFAULT_BACKOFF_MS,
    maxBackoffMs: DEFAULT_MAX_BACKOFF_MS,
    timeoutMs: 10_000,
    checkpointIntervalMs: 200,
    progress: 'off',
    progressIntervalMs: 1000,
    write: () => {},
    ...over
  }
}

/** fraud_probability of every row, scored directly by the model process (no gateway, no batch code). */
export async function directScores (modelUrl: string, rows: readonly InputRow[], chunk = 5000): Promise<number[]> {
  const client = new ScorerClient({ baseUrl: modelUrl, model: 'fraud' })
  try {
    const out: number[] = []
    for (let i = 0; i < rows.length; i += chunk) {
      const part = rows.slice(i, i + chunk)
      const res = await client.infer([{
        name: 'features',
        shape: [part.length, 4],
        datatype: 'FP64',
        data: part.flatMap(r => FEATURE_COLUMNS.map(c => r[c]))
      }])
      out.push(...(res.outputs[0]!.data as number[]))
    }
    return out
  } finally {
    await client.close()
  }
}

/** Ids of output rows, with the ones seen more than once. */
export function idCensus (rows: ReadonlyArray<{ id: unknown }>): { ids: Set<number>, duplicates: number[] } {
  const ids = new Set<number>()
  const duplicates: number[] = []
  for (const r of rows) {
    const id = r.id as number
    if (ids.has(id)) duplicates.push(id)
    ids.add(id)
  }
  return { ids, duplicates }
}
