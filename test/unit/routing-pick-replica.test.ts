import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { pickReplica, type ReplicaLike } from '../../gateway/routing/pick-replica.js'
import { seeded } from '../support/seeded-random.js'

// Power of two choices over in-flight counts, among usable replicas only.

interface R extends ReplicaLike { id: number, inflight: number, available: boolean }

const replicasArb = fc.array(fc.record({ inflight: fc.nat({ max: 20 }), available: fc.boolean() }), { maxLength: 12 })
  .map(rs => rs.map((r, id): R => ({ id, ...r })))
const randomArb = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 2, maxLength: 2 })

describe('pickReplica', () => {
  it('never returns an unavailable or excluded replica, and returns undefined only when none is usable', () => {
    fc.assert(fc.property(replicasArb, fc.option(fc.nat(), { nil: undefined }), randomArb, (replicas, excludeAt, draws) => {
      const exclude = excludeAt === undefined || replicas.length === 0 ? undefined : replicas[excludeAt % replicas.length]
      let k = 0
      const picked = pickReplica(replicas, exclude, () => draws[k++ % draws.length]!)
      const usable = replicas.filter(r => r.available && r !== exclude)
      if (usable.length === 0) {
        expect(picked).toBeUndefined()
      } else {
        expect(picked).toBeDefined()
        expect(picked!.available).toBe(true)
        expect(picked).not.toBe(exclude)
      }
    }), { numRuns: 5_000 })
  })

  it('with two usable replicas, always takes the less busy one', () => {
    fc.assert(fc.property(fc.nat({ max: 50 }), fc.nat({ max: 50 }), randomArb, (x, y, draws) => {
      const rs: R[] = [{ id: 0, inflight: x, available: true }, { id: 1, inflight: y, available: true }]
      let k = 0
      const picked = pickReplica(rs, undefined, () => draws[k++ % 2]!)!
      expect(picked.inflight).toBe(Math.min(x, y))
    }))
  })

  it('never takes the one busiest replica when every replica is usable', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.nat({ max: 100 }), { minLength: 2, maxLength: 12 }), fc.integer(), (loads, seed) => {
      const rs: R[] = loads.map((inflight, id) => ({ id, inflight, available: true }))
      const max = Math.max(...loads)
      const random = seeded(seed)
      for (let i = 0; i < 50; i++) expect(pickReplica(rs, undefined, random)!.inflight).toBeLessThan(max)
    }))
  })

  it('picks the k-th least busy of n with the power-of-two-choices probability 2(n-1-k)/(n(n-1))', () => {
    const n = 5
    const rs: R[] = Array.from({ length: n }, (_, id) => ({ id, inflight: id * 3, available: true }))
    const random = seeded(7)
    const counts = new Array<number>(n).fill(0)
    const draws = 100_000
    for (let i = 0; i < draws; i++) counts[pickReplica(rs, undefined, random)!.id]!++
    for (let k = 0; k < n; k++) expect(Math.abs(counts[k]! / draws - 2 * (n - 1 - k) / (n * (n - 1)))).toBeLessThan(0.01)
  })

  it('skips an excluded or unavailable sample in favour of the other, and falls back to the least busy usable replica', () => {
    const rs: R[] = [
      { id: 0, inflight: 0, available: false },
      { id: 1, inflight: 9, available: true },
      { id: 2, inflight: 1, available: true },
      { id: 3, inflight: 0, available: true }
    ]
    // Samples 0 (unavailable) and 1: takes 1 although it is the busiest.
    expect(pickReplica(rs, undefined, sequence([0.1, 0.1]))!.id).toBe(1)
    // Samples 0 (unavailable) and 3 (excluded): falls back to the least busy usable, 2.
    expect(pickReplica(rs, rs[3], sequence([0.1, 0.9]))!.id).toBe(2)
    // A single replica is used unless it is unavailable or excluded.
    expect(pickReplica([rs[1]!])!.id).toBe(1)
    expect(pickReplica([rs[0]!])).toBeUndefined()
    expect(pickReplica([rs[1]!], rs[1])).toBeUndefined()
    expect(pickReplica([])).toBeUndefined()
  })

  it('roughly balances: with requests finishing at random, in-flight counts stay much closer than with uniform random picks', () => {
    const twoChoices = simulate((rs, random) => pickReplica(rs, undefined, random)!, 42)
    const uniform = simulate((rs, random) => rs[(random() * rs.length) | 0]!, 42)
    // Measured here: mean spread (busiest - idlest in-flight) about 3.4 with two choices, about 8 with uniform picks.
    expect(twoChoices.meanSpread).toBeLessThan(4.5)
    expect(twoChoices.meanSpread).toBeLessThan(uniform.meanSpread * 0.6)
    const mean = STEPS / twoChoices.served.length
    for (const s of twoChoices.served) expect(Math.abs(s - mean) / mean).toBeLessThan(0.05)
  })
})

const STEPS = 50_000

/** 8 replicas, 64 requests in flight; each step one random request finishes and a new one is placed. */
function simulate (pick: (rs: R[], random: () => number) => R, seed: number): { meanSpread: number, served: number[] } {
  const n = 8
  const concurrency = 64
  const rs: R[] = Array.from({ length: n }, (_, id) => ({ id, inflight: 0, available: true }))
  const random = seeded(seed)
  const served = new Array<number>(n).fill(0)
  const open: R[] = []
  let spreadSum = 0
  let samples = 0
  for (let step = 0; step < STEPS; step++) {
    if (open.length === concurrency) open.splice((random() * open.length) | 0, 1)[0]!.inflight--
    const r = pick(rs, random)
    r.inflight++
    served[r.id]!++
    open.push(r)
    if (step >= 1_000) {
      let max = 0
      let min = Infinity
      for (const x of rs) {
        if (x.inflight > max) max = x.inflight
        if (x.inflight < min) min = x.inflight
      }
      spreadSum += max - min
      samples++
    }
  }
  return { meanSpread: spreadSum / samples, served }
}

function sequence (values: number[]): () => number {
  let i = 0
  return () => values[i++ % values.length]!
}
