/**
 * Setting a job up: the input's range for this worker, the model's inputs and
 * outputs, the live split when rows are routed by key, and the journal,
 * opened new or resumed from its checkpoint when the job is the same.
 */
import { resolve } from 'node:path'
import type { EntryRules } from './entry.js'
import { rowFormatter, type RowFormatter } from './format.js'
import { Journal } from './journal.js'
import { fetchRouting, versionForKey } from './key-routing.js'
import type { BatchOptions } from './options.js'
import { buildMappings } from './rows.js'
import { BatchAbort } from './score.js'
import { openSource, type Source } from './source.js'
import { fetchMetadata } from './transport.js'

export interface Job {
  source: Source
  rules: EntryRules
  formatter: RowFormatter
  journal: Journal
}

export async function openJob (o: BatchOptions): Promise<Job> {
  const source = await openSource(o.input, o.inputFormat, o.partition, o.partitionBy)
  const meta = await fetchMetadata(o.url, o.model, o.version, o.timeoutMs, o.apiKey)
  const mappings = buildMappings(meta.inputs!, o.map)
  const outputs = (meta.outputs ?? []).map(t => t.name)
  if (outputs.length === 0) throw new BatchAbort(`model "${o.model}" declares no outputs; batch scoring names output columns after them`)
  const routing = o.keyColumn !== undefined && o.version === undefined
    ? await fetchRouting(o.adminUrl ?? '', o.token, o.model)
    : undefined
  const formatter = rowFormatter(o.outputFormat, o.keep, outputs)
  const journal = await openJournal(o, source, outputs, formatter.header)
  const rules: EntryRules = {
    inputFormat: o.inputFormat,
    header: source.header,
    mappings,
    keep: o.keep,
    partition: o.partition,
    partitionBy: o.partitionBy,
    partitionKey: o.partitionKey,
    keyColumn: o.keyColumn,
    versionOf: routing === undefined ? undefined : versionForKey(routing)
  }
  return { source, rules, formatter, journal }
}

/** The job's output files and checkpoint: resumed with --resume when the checkpoint's job is this one. */
export function openJournal (o: BatchOptions, source: Source, outputs: readonly string[], header: string): Promise<Journal> {
  return Journal.open({ output: o.output, rejects: o.rejects, checkpoint: o.checkpoint }, jobIdentity(o, source, outputs),
    { inputOffset: source.start, line: source.firstLine }, header, o.resume)
}

/** Everything that decides which rows this worker writes, and how: a resume must match it. */
export function jobIdentity (o: BatchOptions, source: Pick<Source, 'size' | 'mtimeMs'>, outputs: readonly string[]): Record<string, unknown> {
  return {
    input: resolve(o.input),
    inputSize: source.size,
    inputMtimeMs: source.mtimeMs,
    inputFormat: o.inputFormat,
    outputFormat: o.outputFormat,
    model: o.model,
    version: o.version ?? null,
    keyColumn: o.keyColumn ?? null,
    map: [...o.map].sort(),
    keep: o.keep,
    outputs,
    partition: o.partition === undefined ? null : `${o.partition.index}/${o.partition.count} by ${o.partitionBy}${o.partitionBy === 'hash' ? ` of ${o.partitionKey}` : ''}`
  }
}
