import { describe, expect, it } from 'vitest'
import { delayAfterAnswer, delayAfterFailure } from '../../gateway/discovery/schedule.js'

const T = { minIntervalMs: 1_000, maxIntervalMs: 30_000 }

describe('when DNS discovery resolves again', () => {
  it.each([
    [5, 5_000],
    [30, 30_000],
    [0, 1_000],
    [0.2, 1_000],
    [3600, 30_000],
    [Number.NaN, 1_000]
  ])('after an answer with TTL %s s: in %i ms (the TTL, within min and max)', (ttl, want) => {
    expect(delayAfterAnswer(ttl, T)).toBe(want)
  })

  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [5, 16_000],
    [6, 30_000],
    [1000, 30_000]
  ])('after %i failures in a row: in %i ms (doubling from min, capped at max)', (failures, want) => {
    expect(delayAfterFailure(failures, T)).toBe(want)
  })
})
