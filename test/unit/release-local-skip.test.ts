// The in-process analysis source leaves out each replica's first answers of a
// canary when a rollout excludes its cold start, and keeps doing so while the
// controller reads windows (which re-watch the model without a skip).
import { describe, expect, it } from 'vitest'
import { LocalWindow } from '../../gateway/release/local-source.js'
import type { RequestOutcome } from '../../gateway/observe/outcome.js'

const NOW = 1_900_000_000_000

function answer (version: string, replica: string, i: number): RequestOutcome {
  return {
    requestId: `r-${i}`, model: 'fraud', version, replica, release: 'v1>v2#1', status: 200, errorCode: null, startedAt: NOW + i,
    totalMs: 2, upstreamMs: 1, fallback: false, stickyKey: undefined, requestBody: null, responseBody: null, traffic: 'live', kind: 'infer',
    application: '', requestHeaderLength: -1, requestEncoding: null, responseHeaderLength: -1
  } as RequestOutcome
}

async function canaryRequests (w: LocalWindow): Promise<number> {
  const d = await w.window({ model: 'fraud', stable: 'v1', canary: 'v2', from: NOW - 1000, to: NOW + 10_000, output: null })
  return d.canary.requests
}

describe('local analysis source with a cold-start exclusion', () => {
  it('leaves out each replica\'s first N canary answers even when windows are read in between', async () => {
    const w = new LocalWindow(() => NOW + 5_000)
    w.watch('fraud', ['v1', 'v2'], null, { version: 'v2', requests: 3 })
    expect(await canaryRequests(w)).toBe(0)
    for (let i = 0; i < 5; i++) w.observe(answer('v2', 'http://a', i))
    expect(await canaryRequests(w)).toBe(2)
    for (let i = 5; i < 9; i++) w.observe(answer('v2', 'http://b', i))
    expect(await canaryRequests(w)).toBe(3)
  })

  it('counts every answer of the stable version and of a canary watched without exclusion', async () => {
    const w = new LocalWindow(() => NOW + 5_000)
    w.watch('fraud', ['v1', 'v2'], null, { version: 'v2', requests: 0 })
    for (let i = 0; i < 4; i++) w.observe(answer('v2', 'http://a', i))
    for (let i = 0; i < 4; i++) w.observe(answer('v1', 'http://s', i))
    const d = await w.window({ model: 'fraud', stable: 'v1', canary: 'v2', from: NOW - 1000, to: NOW + 10_000, output: null })
    expect([d.stable.requests, d.canary.requests]).toEqual([4, 4])
  })
})
