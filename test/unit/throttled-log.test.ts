import { describe, expect, it } from 'vitest'
import { ThrottledLog } from '../../gateway/observe/throttled-log.js'

describe('ThrottledLog', () => {
  it('logs the first event, suppresses the rest of the interval, then reports how many it left out', () => {
    const t = new ThrottledLog(1000)
    expect(t.admit('a', 0)).toBe(0)
    expect(t.admit('a', 10)).toBe(-1)
    expect(t.admit('a', 999)).toBe(-1)
    expect(t.admit('a', 1000)).toBe(2)
    expect(t.admit('a', 1001)).toBe(-1)
  })

  it('keeps kinds apart', () => {
    const t = new ThrottledLog(1000)
    expect(t.admit('a', 0)).toBe(0)
    expect(t.admit('b', 1)).toBe(0)
    expect(t.admit('a', 2)).toBe(-1)
  })
})
