/**
 * Sticky buckets. A user's bucket is murmurhash3_32(stickyKey, seed) mod 10000;
 * versions own contiguous bucket ranges. Pure functions, no I/O.
 */
import { murmur3 } from './murmur.js'
import { TOTAL_BP, type SplitEntry } from '../state/split.js'

/** Bucket ranges: entry i owns buckets [ends[i-1], ends[i]). Zero-weight entries own nothing. */
export interface BucketLayout<T> {
  readonly ends: Uint16Array
  readonly targets: readonly T[]
}

/** murmur3 hashes ASCII keys in place: murmurhash's own per-call TextEncoder was ~3.5 µs, most of a routing decision (bench/scale.ts). */
export function bucketOf (key: string, seed: number): number {
  return murmur3(key, seed) % TOTAL_BP
}

/**
 * Lays the split out in the order given. The control plane keeps the canary first
 * (`[canary, stable]`), so growing the canary only extends its range upwards: a key
 * already in the canary stays there, and only keys of the shrinking stable range move.
 */
export function layout<T> (split: readonly SplitEntry[], resolve: (version: string) => T): BucketLayout<T> {
  const ends = new Uint16Array(split.length)
  const targets: T[] = []
  let acc = 0
  for (let i = 0; i < split.length; i++) {
    acc += split[i]!.weight
    ends[i] = acc
    targets.push(resolve(split[i]!.version))
  }
  if (acc !== TOTAL_BP) throw new RangeError(`split weights add up to ${acc}, expected ${TOTAL_BP}`)
  return { ends, targets }
}

export function targetForBucket<T> (l: BucketLayout<T>, bucket: number): T {
  const ends = l.ends
  for (let i = 0; i < ends.length; i++) {
    if (bucket < ends[i]!) return l.targets[i]!
  }
  // Unreachable for 0 <= bucket < 10000 since the last end is 10000.
  return l.targets[l.targets.length - 1]!
}
