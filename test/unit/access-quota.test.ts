import { describe, expect, it } from 'vitest'
import { QuotaBuckets, TokenBucket } from '../../gateway/access/quota.js'

// Token buckets holding one instance's share of a fleet quota.

describe('TokenBucket', () => {
  it('lets a burst through at once, then one request per 1/rate seconds', () => {
    const b = new TokenBucket({ rps: 10, burst: 3 }, 1, 0)
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([0, 0, 0])
    expect(b.take(0)).toBe(1)
    expect(b.take(50)).toBe(1)
    expect(b.take(100)).toBe(0)
  })

  it('over a long run passes rate × time (+ the burst), whatever the offered load', () => {
    const b = new TokenBucket({ rps: 100, burst: 10 }, 1, 0)
    let passed = 0
    for (let t = 0; t < 10_000; t += 1) if (b.take(t) === 0) passed++
    expect(passed).toBeGreaterThanOrEqual(1000)
    expect(passed).toBeLessThanOrEqual(1010)
  })

  it('holds a 1/N share of rate and burst on each of N instances, at least one request', () => {
    const b = new TokenBucket({ rps: 90, burst: 30 }, 3, 0)
    expect([b.rate, b.burst]).toEqual([30, 10])
    const small = new TokenBucket({ rps: 1, burst: 1 }, 5, 0)
    expect(small.burst).toBe(1)
  })

  it('answers Retry-After as whole seconds until a token is back', () => {
    const b = new TokenBucket({ rps: 0.25, burst: 1 }, 1, 0)
    expect(b.take(0)).toBe(0)
    expect(b.take(0)).toBe(4)
    expect(b.take(2_000)).toBe(2)
  })
})

describe('QuotaBuckets', () => {
  it('gives every bucket its new share when the number of instances changes, keeping the tokens it holds up to the new burst', () => {
    const q = new QuotaBuckets()
    const quota = { rps: 60, burst: 60 }
    const b = q.bucket('app', 'fraud', quota, 0)
    q.setInstances(3)
    expect([b.rate, b.burst]).toEqual([20, 20])
    let passed = 0
    while (b.take(0) === 0) passed++
    expect(passed).toBe(20)
    q.setInstances(0)
    expect(q.instances).toBe(1)
    expect(b.rate).toBe(60)
  })

  it('keeps a pair\'s bucket while its quota stays, and forgets applications that are gone', () => {
    const q = new QuotaBuckets()
    const b = q.bucket('app', 'fraud', { rps: 5, burst: 5 }, 0)
    expect(q.bucket('app', 'fraud', { rps: 5, burst: 5 }, 10)).toBe(b)
    q.bucket('app', 'fraud', { rps: 10, burst: 5 }, 10)
    expect(b.rate).toBe(10)
    q.retain(new Set())
    expect(q.bucket('app', 'fraud', { rps: 10, burst: 5 }, 10)).not.toBe(b)
  })
})
