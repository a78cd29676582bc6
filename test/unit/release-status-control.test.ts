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

  it('puts an outage right under the title, with when it began (--wide: one line each)', () => {
    const c = control({ store: { kind: 'redis', available: false, unavailableSince: '2026-01-01T00:00:48.000Z', error: 'heartbeat: Command timed out' }, lease: { holder: null, expiresInMs: null, error: 'cannot read it: Command timed out' }, lastDecisionCached: true })
    const lines = formatStatus(rolloutView('fraud', record, null, NOW, { control: c }), NOW, true)
    expect(lines[0]).toMatch(/^rollout of fraud v3 \(stable v1\): RUNNING/)
    expect(lines[1]).toBe('state store UNAVAILABLE since 2026-01-01T00:00:48.000Z (12.0s ago): no controller can act, changes are refused (heartbeat: Command timed out)')
    expect(lines).toContain('lease: unknown (cannot read it: Command timed out)')
    expect(lines.at(-1)).toContain('(as last seen; the journal does not answer)')
  })
})

describe('rollout status: fits 100 columns unless --wide', () => {
  const checks = [
    { check: 'errors', verdict: 'pass', summary: 'canary 0.41% of 2412 vs stable 0.38% of 9650, always-valid p=1 (alpha 0.005): not more errors than stable beyond +0.50% (p above alpha)', figures: {} },
    { check: 'outputs', verdict: 'pass', summary: 'PSI 0.256 (max 0.2), KS D=0.031 p=0.41, mean 0.412 vs 0.409 (shift 0.003, max 0.05, p=0.62); alpha 0.001: PSI over its max but KS not significant, so not a real change', figures: {} }
  ]
  const last = { at: NOW - 1000, instanceId: 'gw-1', action: 'wait' as const, step: 0, weight: 2000, reason: 'baking at 20%: 4.2s left; every check passed or is waiting for data on all traffic and in each segment', checks, rolloutId: 'r1' }
  const view = rolloutView('fraud', { ...record, reason: 'x'.repeat(30) + ' and a long reason that runs well past the width of a normal terminal window' }, last, NOW, { control: control() })

  it('breaks every line at 100 columns or fewer, and each check line starts with why it passed', () => {
    const lines = formatStatus(view, NOW)
    expect(lines.filter(l => l.length > 100)).toEqual([])
    const errors = lines.find(l => l.startsWith('  errors'))!
    expect(errors).toMatch(/^ {2}errors +PASS +not more errors than stable beyond \+0\.50%/)
    const outputs = lines.findIndex(l => l.startsWith('  outputs'))
    expect(lines[outputs]).toMatch(/PASS +PSI over its max but KS not significant/)
    // Nothing is lost: the wrapped lines hold the wide lines' words.
    const words = (ls: string[]): string[] => ls.join(' ').split(/\s+/).filter(w => w !== '' && w !== '—').sort()
    expect(words(lines)).toEqual(words(formatStatus(view, NOW, true).map(l => l.replace(/^( {2}\S+ +\S+ +)(.*): ([^:]*)$/, '$1$3 $2'))))
  })

  it('--wide keeps one line per check, with the full summary', () => {
    const lines = formatStatus(view, NOW, true)
    expect(lines.filter(l => l.startsWith('  errors') || l.startsWith('  outputs'))).toHaveLength(2)
    expect(lines.some(l => l.length > 100)).toBe(true)
  })
})
