/**
 * Version choice: explicit selection first, then the sticky bucket, then weighted
 * random. Knows nothing about HTTP: the caller extracts the key and the explicit
 * version; property tests drive this directly.
 */
import { bucketOf, targetForBucket, type BucketLayout } from './buckets.js'
import { TOTAL_BP } from '../state/split.js'

export interface VersionChoiceInput<V> {
  readonly layout: BucketLayout<V>
  readonly seed: number
  readonly versions: ReadonlyMap<string, V>
}

/**
 * Returns the version for this request, or undefined when an explicit version was
 * asked for and the model does not have it.
 */
export function selectVersion<V> (
  model: VersionChoiceInput<V>,
  stickyKey: string | undefined,
  explicit: string | undefined,
  random: () => number = Math.random
): V | undefined {
  if (explicit !== undefined) return model.versions.get(explicit)
  const bucket = stickyKey === undefined || stickyKey === ''
    ? (random() * TOTAL_BP) | 0
    : bucketOf(stickyKey, model.seed)
  return targetForBucket(model.layout, bucket)
}
