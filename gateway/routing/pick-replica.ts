/**
 * Replica choice: power of two choices on in-flight requests among available
 * replicas (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing").
 * Pure over its inputs; allocates nothing.
 */
export interface ReplicaLike {
  readonly inflight: number
  readonly available: boolean
}

export function pickReplica<R extends ReplicaLike> (
  replicas: readonly R[],
  exclude: R | undefined = undefined,
  random: () => number = Math.random
): R | undefined {
  const n = replicas.length
  if (n === 0) return undefined
  if (n === 1) {
    const only = replicas[0]!
    return only.available && only !== exclude ? only : undefined
  }
  const i = (random() * n) | 0
  let j = (random() * (n - 1)) | 0
  if (j >= i) j++
  const a = replicas[i]!
  const b = replicas[j]!
  const aOk = a.available && a !== exclude
  const bOk = b.available && b !== exclude
  if (aOk && bOk) return a.inflight <= b.inflight ? a : b
  if (aOk) return a
  if (bOk) return b
  // Both samples unusable: fall back to the least busy usable replica.
  let best: R | undefined
  for (let k = 0; k < n; k++) {
    const r = replicas[k]!
    if (r.available && r !== exclude && (best === undefined || r.inflight < best.inflight)) best = r
  }
  return best
}
