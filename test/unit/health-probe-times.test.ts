import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ProbeTimes } from '../../gateway/health/probe-times.js'

beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'], now: 0 }) })
afterEach(() => { vi.useRealTimers() })

describe('ProbeTimes', () => {
  it('fires targets due within one grid step (100 ms at a 60 s interval) together, at the step\'s start', () => {
    const fired: string[] = []
    const times = new ProbeTimes<string>((s) => { fired.push(s) })
    times.at('a', 1_050, 60_000)
    times.at('b', 1_020, 60_000)
    times.at('c', 1_150, 60_000)
    expect(vi.getTimerCount()).toBe(2)
    vi.advanceTimersByTime(999)
    expect(fired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(fired).toEqual(['a', 'b'])
    vi.advanceTimersByTime(100)
    expect(fired).toEqual(['a', 'b', 'c'])
  })

  it('fires at the exact delay when the interval is under 1.2 s (a grid of 1 ms)', () => {
    const fired: number[] = []
    const times = new ProbeTimes<number>((n) => { fired.push(n) })
    times.at(1, 37, 500)
    vi.advanceTimersByTime(36)
    expect(fired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(fired).toEqual([1])
  })

  it('fires nothing after cancelAll', () => {
    const fired: number[] = []
    const times = new ProbeTimes<number>((n) => { fired.push(n) })
    times.at(1, 5_000, 60_000)
    times.at(2, 30, 500)
    times.cancelAll()
    vi.advanceTimersByTime(120_000)
    expect(fired).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
  })
})
