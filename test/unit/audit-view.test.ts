import { describe, expect, it } from 'vitest'
import { changes, note, when, NOTE_MAX } from '../../gateway/cli/audit-view.js'
import type { ModelState } from '../../gateway/state/routing-state.js'

function model (over: Partial<ModelState> = {}): ModelState {
  return {
    versions: { v1: { replicas: ['http://a:1', 'http://b:1'] }, v2: { replicas: ['http://c:1'] } },
    strategy: 'canary',
    split: [{ version: 'v2', weight: 1000 }, { version: 'v1', weight: 9000 }],
    stable: 'v1',
    candidate: 'v2',
    release: 1,
    seed: 7,
    ...over
  }
}

describe('audit CHANGE column', () => {
  it('shows weight changes before → after in percent, per version that moved', () => {
    expect(changes(model(), model({ split: [{ version: 'v2', weight: 2000 }, { version: 'v1', weight: 8000 }] }))).toEqual(['weights v1 90→80, v2 10→20'])
  })

  it('shows a promotion as weights, stable and canary', () => {
    expect(changes(model(), model({ split: [{ version: 'v2', weight: 10000 }], stable: 'v2', candidate: null }))).toEqual(['weights v1 90→0, v2 10→100', 'stable v1→v2', 'canary v2→none'])
  })

  it('shows registered and retired versions, replica counts and sampling rates', () => {
    const after = model({ versions: { v1: { replicas: ['http://a:1', 'http://b:1', 'http://d:1'], sampleRate: 1 }, v3: { replicas: ['http://e:1'] } } })
    expect(changes(model(), after)).toEqual(['added v3', 'retired v2', 'replicas of v1 2→3', 'sampling of v1 config→100%'])
  })

  it('shows a rollout starting and ending', () => {
    const rollout = { id: 'r1', version: 'v2', stable: 'v1', plan: {}, status: 'running' as const, step: 0, stepStartedAt: 0, startedAt: 0, startedBy: 'ops', noDataSince: null, reason: null, endedAt: null, checks: [] }
    expect(changes(model(), model({ rollout }))).toEqual(['rollout of v2 running'])
    expect(changes(model({ rollout }), model({ rollout: { ...rollout, step: 1 } }))).toEqual(['rollout of v2 step 1→2'])
    expect(changes(model({ rollout }), model({ split: [{ version: 'v1', weight: 10000 }], candidate: null, rollout: { ...rollout, status: 'rolled-back' } })))
      .toEqual(['weights v1 90→100, v2 10→0', 'canary v2→none', 'rollout of v2 running→rolled-back'])
  })

  it('is empty when nothing an operator sees changed', () => {
    expect(changes(model(), model())).toEqual([])
  })
})

describe('audit NOTE column', () => {
  it('keeps a long reason to one line of at most NOTE_MAX characters', () => {
    const n = note({ version: 'v4', reason: `errors failed: canary 26.87% of 67 vs stable 0.00% of 670,\n always-valid p=0.008 (alpha 0.008): canary errors more`, checks: [{ figures: { p: 1 } }] })
    expect(n.length).toBe(NOTE_MAX)
    expect(n.startsWith('errors failed: canary 26.87% of 67 vs stable 0.00% of 670, always-valid')).toBe(true)
    expect(n.endsWith('…')).toBe(true)
  })

  it('without a reason, shows the plain fields and leaves nested JSON out', () => {
    expect(note({ version: 'v2', weight: 1000, plan: { steps: [] }, force: true })).toBe('version=v2 weight=1000 force=true')
  })
})

it('prints times to the second', () => {
  expect(when('2026-12-03T09:22:20.830Z')).toBe('2026-12-03 09:22:20')
})
