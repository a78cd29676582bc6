/**
 * Structural equality of two model states. The Redis store parses every new
 * revision from JSON, so unchanged models arrive as new objects; comparing them
 * field by field lets the router keep their routes (one change among
 * a thousand models must not rebuild a thousand routes).
 */
import type { ModelState } from '../state/routing-state.js'

export function sameModelState (a: ModelState, b: ModelState): boolean {
  if (a.strategy !== b.strategy || a.stable !== b.stable || a.candidate !== b.candidate ||
    a.release !== b.release || a.seed !== b.seed || (a.previous ?? null) !== (b.previous ?? null)) return false
  const sa = a.canarySegments ?? null
  const sb = b.canarySegments ?? null
  if ((sa === null) !== (sb === null) || (sa !== null && (sa.length !== sb!.length || sa.some((x, i) => x !== sb![i])))) return false
  if (a.split.length !== b.split.length) return false
  for (let i = 0; i < a.split.length; i++) {
    if (a.split[i]!.version !== b.split[i]!.version || a.split[i]!.weight !== b.split[i]!.weight) return false
  }
  const av = Object.keys(a.versions)
  const bv = Object.keys(b.versions)
  if (av.length !== bv.length) return false
  for (let i = 0; i < av.length; i++) {
    // Version order is registration order, which the split's bucket layout does not depend on but views do.
    if (av[i] !== bv[i]) return false
    const va = a.versions[av[i]!]!
    const vb = b.versions[av[i]!]
    if (vb === undefined || va.upstream?.model !== vb.upstream?.model || va.upstream?.version !== vb.upstream?.version || va.sampleRate !== vb.sampleRate) return false
    const ar = va.replicas
    const br = vb.replicas
    if (ar.length !== br.length) return false
    for (let j = 0; j < ar.length; j++) if (ar[j] !== br[j]) return false
  }
  return true
}
