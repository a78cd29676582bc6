import { afterEach, describe, expect, it } from 'vitest'
import { OverloadGuard } from '../../gateway/server/overload.js'
import { eventually } from '../support/eventually.js'

const guards: OverloadGuard[] = []
afterEach(() => { for (const g of guards.splice(0)) g.close() })
const guard = (maxEventLoopDelayMs: number, maxInFlight: number): OverloadGuard => {
  const g = new OverloadGuard({ maxEventLoopDelayMs, maxInFlight, retryAfterS: 1 })
  guards.push(g)
  return g
}

/** Holds the event loop for `ms` at a time, `times` times, letting timers run in between; returns what `probe` said after each hold. */
async function hogEventLoop<T> (ms: number, times: number, probe: () => T): Promise<T[]> {
  const seen: T[] = []
  for (let i = 0; i < times; i++) {
    const until = performance.now() + ms
    while (performance.now() < until) { /* busy */ }
    await new Promise(resolve => setTimeout(resolve, 1))
    seen.push(probe())
  }
  return seen
}

describe('OverloadGuard', () => {
  it('is off with both limits at 0, and admits any number in progress', () => {
    const g = guard(0, 0)
    expect(g.enabled).toBe(false)
    expect(g.admit(1_000_000)).toBe(true)
  })

  it('refuses from maxInFlight requests in progress on, and counts each refusal', () => {
    const g = guard(0, 3)
    expect([g.admit(0), g.admit(2), g.admit(3), g.admit(4)]).toEqual([true, true, false, false])
    expect(g.shed).toBe(2)
  })

  it('refuses while the event loop lags past maxEventLoopDelayMs, says so once, and admits again when it catches up', async () => {
    const g = guard(50, 0)
    const transitions: boolean[] = []
    g.onTransition = (shedding) => { transitions.push(shedding) }
    expect(g.admit(0)).toBe(true)
    const during = await hogEventLoop(300, 6, () => ({ admitted: g.admit(0), delayMs: g.eventLoopDelayMs }))
    expect(during.some(d => !d.admitted && d.delayMs > 50)).toBe(true)
    await eventually(() => { expect(g.admit(0)).toBe(true) }, { timeoutMs: 5_000 })
    expect(transitions).toEqual([true, false])
  })
})
