/**
 * Sticky buckets. A user's bucket is murmurhash3_32(stickyKey, seed) mod 10000;
 * versions own contiguous bucket ranges. Pure functions, no I/O.
 */
import murmurhash from 'murmurhash'
import { TOTAL_BP, type SplitEntry } from '../state/split.js'

/** Bucket ranges: entry i owns buckets [ends[i-1], ends[i]). Zero-weight entries own nothing. */
export interface BucketLayout<T> {
  readonly ends: Uint16Array
  readonly targets: readonly T[]
}

/**
 * murmurhash encodes a string key with a new TextEncoder per call (~3.5 µs on
 * these machines, most of a routing decision; bench/scale.ts). Keys are almost
 * always ASCII (user ids): those are copied into one reused buffer and hashed
 * through a cached view of their length, the same bytes UTF-8 gives, so the
 * same bucket. Other keys go through one shared encoder.
 */
const encoder = new TextEncoder()
const scratch = new Uint8Array(1024)
const views: Uint8Array[] = []

export function bucketOf (key: string, seed: number): number {
  const n = key.length
  if (n <= scratch.length) {
    let i = 0
    for (; i < n; i++) {
      const c = key.charCodeAt(i)
      if (c > 0x7f) break
      scratch[i] = c
    }
    if (i === n) return murmurhash.v3(views[n] ??= scratch.subarray(0, n), seed) % TOTAL_BP
  }
  return murmurhash.v3(encoder.encode(key), seed) % TOTAL_BP
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
