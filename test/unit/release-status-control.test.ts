import { describe, expect, it } from 'vitest'
import { controlLines, formatStatus, rolloutView, type ControlView } from '../../gateway/release/status.js'
import type { RolloutRecord } from '../../gateway/state/rollout-record.js'

// `rollout status` says whether a controller can act: an outage of the state
// store right under the title with its start, who holds the lease, when the
// controller last acted.

const NOW = Date.parse('2026-01-01T00:01:00Z')
const record: RolloutRecord = {
  id: 'r1', version: 'v3', stable: 'v1', status: 'running', step: 0, stepStartedAt: NOW - 21_200, startedAt: NOW - 21_200, startedBy: 'ops',
  noDataSince: null, reason: null, endedAt: null, checks: [],
  plan: { steps: [{ kind: 'weight', weight: 2000, bakeMs: 10_000 }], intervalMs: 1000, maxExtensionMs: 0, noDataRollbackAfterMs: 60_000, onNoData: 'hold', alpha: 0.05, checks: {} }
}

function control (over: Partial<ControlView> = {}): ControlView {
  return {
    store: { kind: 'redis', available: true, unavailableSince: null, error: null },
    lease: { holder: 'gw-1', expiresInMs: 8_400 },
    lastDecision: { at: '2026-01-01T00:00:58.000Z', instanceId: 'gw-1', action: 'wait' },
    lastDecisionCached: false,
    ...over
  }
}

describe('rollout status: can the controller act', () => {
  it('names the lease holder and the last decision when the store answers', () => {
    expect(controlLines(control(), NOW)).toEqual([
      'lease: held by gw-1 (8.4s left)',
      'controller last acted 2026-01-01T00:00:58.000Z (2.0s ago) on gw-1: wait'
    ])
  })

  it('puts an outage right under the title, with when it began', () => {
    const c = control({ store: { kind: 'redis', available: false, unavailableSince: '2026-01-01T00:00:48.000Z', error: 'heartbeat: Command timed out' }, lease: { holder: null, expiresInMs: null, error: 'cannot read it: Command timed out' }, lastDecisionCached: true })
    const lines = formatStatus(rolloutView('fraud', record, null, NOW, { control: c }), NOW)
    expect(lines[0]).toMatch(/^rollout of fraud v3 \(stable v1\): RUNNING/)
    expect(lines[1]).toBe('state store UNAVAILABLE since 2026-01-01T00:00:48.000Z (12.0s ago): no controller can act, changes are refused (heartbeat: Command timed out)')
    expect(lines).toContain('lease: unknown (cannot read it: Command timed out)')
    expect(lines.at(-1)).toContain('(as last seen; the journal does not answer)')
  })
})
