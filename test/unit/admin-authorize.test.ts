import { describe, expect, it } from 'vitest'
import { refusal, type Principal } from '../../gateway/admin/authorize.js'

const LABELS: Record<string, Record<string, string>> = { fraud: { team: 'risk' }, scoring: { team: 'payments' } }
const labelsOf = (m: string): Record<string, string> | undefined => LABELS[m]
const token = (over: Partial<Principal>): Principal => ({ name: 't', role: 'admin', actions: null, models: null, labels: null, ...over })

describe('admin token authorisation', () => {
  it.each([
    ['an admin token writes anything', token({}), { write: true, model: 'fraud' }, null],
    ['a read token reads', token({ role: 'read' }), { write: false, model: 'fraud' }, null],
    ['a read token cannot write', token({ role: 'read' }), { write: true, model: 'fraud' }, 'token "t" has role "read"; this needs role "admin"'],
    ['a release token starts a rollout', token({ role: 'release' }), { write: true, release: 'start' as const, model: 'fraud' }, null],
    ['a release token cannot change a split', token({ role: 'release' }), { write: true, model: 'fraud' }, 'token "t" has role "release": it may only start, approve, abort rollouts'],
    ['actions narrow the verbs', token({ role: 'release', actions: ['approve'] }), { write: true, release: 'start' as const, model: 'fraud' }, 'token "t" may only approve rollouts, not start'],
    ['actions narrow an admin token too', token({ actions: ['start'] }), { write: true, release: 'abort' as const, model: 'fraud' }, 'token "t" may only start rollouts, not abort'],
    ['a model-scoped token writes its model', token({ models: ['fraud'] }), { write: true, model: 'fraud' }, null],
    ['a model-scoped token cannot write another', token({ models: ['fraud'] }), { write: true, model: 'scoring' }, 'token "t" is scoped to models fraud; model "scoring" is not one of them'],
    ['a label-scoped token writes a model with its labels', token({ labels: { team: 'payments' } }), { write: true, model: 'scoring' }, null],
    ['a label-scoped token cannot write others', token({ labels: { team: 'payments' } }), { write: true, model: 'fraud' }, 'token "t" is scoped to models labelled team=payments; model "fraud" is not one of them'],
    ['a scoped token cannot make fleet-wide changes', token({ models: ['fraud'] }), { write: true }, 'token "t" is scoped to models fraud; it cannot make changes that are not about one of those models'],
    ['a scoped token reads anything', token({ role: 'release', models: ['fraud'] }), { write: false, model: 'scoring' }, null]
  ])('%s', (_name, p, needs, expected) => {
    expect(refusal(p, needs, labelsOf)).toBe(expected)
  })
})
