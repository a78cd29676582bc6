/**
 * The vocabulary of a traffic split, shared by config, control and routing:
 * basis points, split entries, the two release layouts and the release seed.
 */
import murmurhash from 'murmurhash'

/** 100% in basis points: weights of a split add up to this. */
export const TOTAL_BP = 10_000

export interface SplitEntry {
  readonly version: string
  /** Basis points; all entries of a split add up to 10000. */
  readonly weight: number
}

/**
 * canary: layout [canary, stable], so growing the canary only extends its bucket
 * range upwards (users already in the canary stay there).
 */
export function canarySplit (stable: string, canary: string | null, weight: number): SplitEntry[] {
  return canary === null ? [{ version: stable, weight: TOTAL_BP }] : [{ version: canary, weight }, { version: stable, weight: TOTAL_BP - weight }]
}

/** blue-green: the active version at 100%, the preview (if any) at 0%, reachable only by explicit selection. */
export function blueGreenSplit (active: string, preview: string | null): SplitEntry[] {
  return preview === null ? [{ version: active, weight: TOTAL_BP }] : [{ version: active, weight: TOTAL_BP }, { version: preview, weight: 0 }]
}

/** Seed for a release, derived so that every instance computes the same one. */
export function releaseSeed (model: string, releaseName: string): number {
  return murmurhash.v3(`${model}\u0000${releaseName}`, 0x9747b28c)
}
