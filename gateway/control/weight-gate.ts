/**
 * Whether a version may be given traffic weight. The one place the rollout
 * controller asks: before the first step (`rollout start`) and on resume. A
 * model that requires verification (release.requireVerification)
 * refuses a version without a passed verification of its current replicas.
 */
import type { ModelState } from '../state/routing-state.js'
import { unverifiedReason } from './release-gate.js'

export type WeightGate = { ok: true } | { ok: false, reason: string }

export function mayGiveWeight (ms: ModelState, version: string): WeightGate {
  if (ms.versions[version] === undefined) return { ok: false, reason: `version "${version}" is not registered` }
  const reason = unverifiedReason(ms, version)
  return reason === null ? { ok: true } : { ok: false, reason }
}
