/**
 * Partitions of one input for N workers (a Kubernetes Indexed Job): each row
 * belongs to exactly one partition, so the union of N outputs is the input.
 * Pure functions; the reader applies them.
 */
import murmurhash from 'murmurhash'

export interface Partition {
  index: number
  count: number
}

export type PartitionBy = 'hash' | 'bytes'

/**
 * Fixed, and different from any routing seed, so which worker scores a row
 * does not depend on (or correlate with) the version the row's key maps to.
 */
export const PARTITION_SEED = 0x5bd1e995

export const MAX_PARTITIONS = 100_000

/** "i/N" with 0 <= i < N. */
export function parsePartition (text: string): Partition {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text)
  if (m === null) throw new RangeError(`--partition must be i/N (e.g. 0/4), got ${JSON.stringify(text)}`)
  const index = Number(m[1])
  const count = Number(m[2])
  if (count < 1 || count > MAX_PARTITIONS) throw new RangeError(`--partition ${text}: N must be 1 to ${MAX_PARTITIONS}`)
  if (index >= count) throw new RangeError(`--partition ${text}: i must be below N (0 to ${count - 1})`)
  return { index, count }
}

/** The byte range [start, end) of partition i over the data bytes [dataStart, size); not yet line-aligned. */
export function byteRange (p: Partition, dataStart: number, size: number): [number, number] {
  const span = Math.max(0, size - dataStart)
  const at = (i: number): number => dataStart + Math.floor(span * i / p.count)
  return [at(p.index), p.index === p.count - 1 ? size : at(p.index + 1)]
}

/**
 * The partition of a row by its key column. A row without a readable key (a
 * malformed line, a missing column) goes by its line number instead, so it is
 * still rejected by exactly one worker.
 */
export function partitionOf (key: string | undefined, line: number, count: number): number {
  if (key === undefined) return line % count
  return murmurhash.v3(key, PARTITION_SEED) % count
}
