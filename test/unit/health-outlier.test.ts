import { afterEach, describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import { pino } from 'pino'
import { ejectionAllowed, ejectionDuration, OutlierDetector, type EjectionEvent, type OutlierSettings } from '../../gateway/health/outlier.js'
import { Replica } from '../../gateway/proxy/replica.js'
import type { Version as VersionRoute } from '../../gateway/proxy/router.js'

/** Real replicas: their pools never connect, since nothing is sent through them here. */
const made: Replica[] = []
function replica (url: string): Replica {
  const r = new Replica(url, { connectTimeoutMs: 1_000, maxConnections: 4 })
  made.push(r)
  return r
}

const SETTINGS: OutlierSettings = { enabled: true, consecutiveFailures: 3, baseEjectionMs: 1_000, maxEjectionMs: 5_000, maxEjectionPercent: 50 }

function version (n: number): { route: VersionRoute, replicas: Replica[] } {
  const replicas = Array.from({ length: n }, (_, i) => replica(`http://127.0.0.1:${9000 + i}`))
  return { route: { name: 'v2', model: 'fraud', replicas, byTransport: { rest: replicas, grpc: [] }, upstreamModel: 'fraud', upstreamVersion: '', inferPath: '/v2/models/fraud/infer', metadataPath: '/v2/models/fraud', readyPath: '/v2/models/fraud/ready', mapped: false }, replicas }
}

function detector (settings: OutlierSettings = SETTINGS): { d: OutlierDetector, events: EjectionEvent[], logs: Array<{ msg: string, replica?: string, reason?: string }> } {
  const logs: Array<{ msg: string, replica?: string, reason?: string }> = []
  const d = new OutlierDetector((m) => (m === 'fraud' ? settings : undefined), pino({ level: 'info' }, { write: (line: string) => { logs.push(JSON.parse(line)) } }))
  const events: EjectionEvent[] = []
  d.onEjection((e) => { events.push(e) })
  return { d, events, logs }
}

function fail (d: OutlierDetector, r: Replica, v: VersionRoute, times: number): void {
  for (let i = 0; i < times; i++) d.failure(r, v)
}

afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(made.splice(0).map(r => r.close()))
})

describe('ejectionDuration', () => {
  it.each([
    [1, 1_000], [2, 2_000], [3, 4_000], [4, 5_000], [40, 5_000]
  ])('ejection #%i lasts %i ms with base 1000 and cap 5000', (n, ms) => {
    expect(ejectionDuration(n, 1_000, 5_000)).toBe(ms)
  })

  it('never exceeds the cap and never shrinks as ejections repeat', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 3_600_000 }), fc.integer({ min: 1, max: 3_600_000 }), (n, base, max) => {
      const d = ejectionDuration(n, base, max)
      expect(d).toBeLessThanOrEqual(max)
      expect(ejectionDuration(n + 1, base, max)).toBeGreaterThanOrEqual(d)
    }))
  })
})

describe('ejectionAllowed (panic threshold)', () => {
  it('never lets ejections exceed maxEjectionPercent nor take the last available replica', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ healthy: fc.boolean(), ejected: fc.boolean() }), { minLength: 1, maxLength: 12 }),
      fc.nat(11),
      fc.integer({ min: 0, max: 100 }),
      (states, pick, pct) => {
        const rs = states.map(s => ({ ...s, available: s.healthy && !s.ejected }))
        const target = rs[pick % rs.length]!
        if (!ejectionAllowed(rs, target, pct)) return
        const ejectedAfter = rs.filter(r => r.ejected).length + 1
        expect(target.ejected).toBe(false)
        expect(ejectedAfter).toBeLessThanOrEqual(Math.floor(rs.length * pct / 100))
        expect(rs.some(r => r !== target && r.available)).toBe(true)
      }
    ))
  })

  it('allows one of two replicas at 50% and none of one replica', () => {
    const two = [{ healthy: true, ejected: false, available: true }, { healthy: true, ejected: false, available: true }]
    expect(ejectionAllowed(two, two[0]!, 50)).toBe(true)
    const one = [{ healthy: true, ejected: false, available: true }]
    expect(ejectionAllowed(one, one[0]!, 100)).toBe(false)
  })
})

describe('OutlierDetector', () => {
  it('ejects after the configured consecutive failures, not before', () => {
    const { d, events } = detector()
    const { route, replicas } = version(2)
    fail(d, replicas[0]!, route, 2)
    expect(replicas[0]!.ejected).toBe(false)
    fail(d, replicas[0]!, route, 1)
    expect(replicas[0]!.ejected).toBe(true)
    expect(events).toHaveLength(1)
    expect(events[0]!.durationMs).toBe(1_000)
    d.close()
  })

  it('a success resets the failure streak', () => {
    const { d } = detector()
    const { route, replicas } = version(2)
    fail(d, replicas[0]!, route, 2)
    d.success(replicas[0]!)
    fail(d, replicas[0]!, route, 2)
    expect(replicas[0]!.ejected).toBe(false)
    d.close()
  })

  it('returns the replica when the ejection ends, logs it as back in rotation, and doubles the next ejection', () => {
    vi.useFakeTimers()
    const { d, events, logs } = detector()
    const { route, replicas } = version(2)
    const r = replicas[0]!
    fail(d, r, route, 3)
    expect(r.ejected).toBe(true)
    vi.advanceTimersByTime(999)
    expect(r.ejected).toBe(true)
    vi.advanceTimersByTime(1)
    expect(r.ejected).toBe(false)
    expect(r.available).toBe(true)
    expect(r.consecutiveFailures).toBe(0)
    expect(logs.filter(l => l.msg.includes('rotation'))).toEqual([expect.objectContaining({ msg: 'replica returned to rotation', replica: r.url, reason: 'ejection time ended' })])
    fail(d, r, route, 3)
    expect(events.map(e => e.durationMs)).toEqual([1_000, 2_000])
    d.close()
  })

  it('when the ejection ends while the replica\'s health checks fail, logs that it stays out of rotation (never "returned to rotation")', () => {
    vi.useFakeTimers()
    const { d, logs } = detector()
    const { route, replicas } = version(2)
    const r = replicas[0]!
    fail(d, r, route, 3)
    expect(r.ejected).toBe(true)
    r.setHealthy(false)
    vi.advanceTimersByTime(SETTINGS.baseEjectionMs)
    expect(r.ejected).toBe(false)
    expect(r.available).toBe(false)
    const rotation = logs.filter(l => l.msg.includes('rotation'))
    expect(rotation).toEqual([expect.objectContaining({ msg: 'ejection ended; replica stays out of rotation: its health checks fail', replica: r.url, reason: 'ejection time ended' })])
    d.close()
  })

  it('starts the backoff over once the replica has stayed in for longer than maxEjectionMs', () => {
    vi.useFakeTimers()
    const { d, events } = detector()
    const { route, replicas } = version(2)
    const r = replicas[0]!
    fail(d, r, route, 3)
    vi.advanceTimersByTime(1_000)
    vi.advanceTimersByTime(SETTINGS.maxEjectionMs + 1)
    fail(d, r, route, 3)
    expect(events.map(e => e.durationMs)).toEqual([1_000, 1_000])
    d.close()
  })

  it('a passing health check ends an ejection early', () => {
    const { d } = detector()
    const { route, replicas } = version(2)
    fail(d, replicas[1]!, route, 3)
    expect(replicas[1]!.ejected).toBe(true)
    d.checkSucceeded(replicas[1]!)
    expect(replicas[1]!.ejected).toBe(false)
    expect(d.ejectedUntil(replicas[1]!)).toBeUndefined()
    d.close()
  })

  it('refuses an ejection beyond the panic threshold: the second of two failing replicas stays', () => {
    const { d, events } = detector()
    const { route, replicas } = version(2)
    fail(d, replicas[0]!, route, 3)
    fail(d, replicas[1]!, route, 10)
    expect(replicas.map(r => r.ejected)).toEqual([true, false])
    expect(events).toHaveLength(1)
    d.close()
  })

  it('does nothing when outlier detection is disabled', () => {
    const { d } = detector({ ...SETTINGS, enabled: false })
    const { route, replicas } = version(3)
    fail(d, replicas[0]!, route, 50)
    expect(replicas[0]!.ejected).toBe(false)
    expect(replicas[0]!.consecutiveFailures).toBe(50)
    d.close()
  })
})
