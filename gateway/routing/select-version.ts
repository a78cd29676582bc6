/**
 * Version choice: explicit selection first, then the sticky bucket, then weighted
 * random. A canary limited to segments is only chosen for requests of those
 * segments; everyone else whose bucket falls in the canary's range gets the
 * stable version instead, so inside the segments stickiness and growth are
 * exactly as without the limit. Knows nothing about HTTP: the caller extracts
 * the key, the segment and the explicit version; property tests drive this directly.
 */
import { bucketOf, targetForBucket, type BucketLayout } from './buckets.js'
import { TOTAL_BP } from '../state/split.js'

export interface VersionChoiceInput<V> {
  readonly layout: BucketLayout<V>
  readonly seed: number
  readonly versions: ReadonlyMap<string, V>
  /** A canary limited to segments: who may get `version`; the others get `otherwise`. Null: no limit. */
  readonly limit?: SegmentLimit<V> | null
}

export interface SegmentLimit<V> {
  readonly version: V
  readonly segments: ReadonlySet<string>
  readonly otherwise: V
}

/**
 * Returns the version for this request, or undefined when an explicit version was
 * asked for and the model does not have it.
 */
export function selectVersion<V> (
  model: VersionChoiceInput<V>,
  stickyKey: string | undefined,
  explicit: string | undefined,
  random: () => number = Math.random,
  segment?: string
): V | undefined {
  if (explicit !== undefined) return model.versions.get(explicit)
  const bucket = stickyKey === undefined || stickyKey === ''
    ? (random() * TOTAL_BP) | 0
    : bucketOf(stickyKey, model.seed)
  const v = targetForBucket(model.layout, bucket)
  const l = model.limit
  return l == null || v !== l.version || (segment !== undefined && l.segments.has(segment)) ? v : l.otherwise
}
