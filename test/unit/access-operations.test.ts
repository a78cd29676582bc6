import { describe, expect, it } from 'vitest'
import { addKey, deleteApplication, generateKey, KEY_PREFIX, putApplication, revokeKey, rotateKey, seedApplications } from '../../gateway/access/operations.js'
import type { GatewayError } from '../../gateway/errors.js'
import { hashKey, type AccessState, type ApplicationState } from '../../gateway/state/access-state.js'

// Changes to applications and keys: pure functions from one access state to the next.

const spec = { models: ['fraud'], versions: {}, rights: [], quota: null, quotas: {} }
const base: AccessState = { revision: 3, applications: { checkout: { ...spec, keys: [] } } }
const at = new Date('2030-01-01T00:00:00Z')

function codeOf (fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as GatewayError).code
  }
  return undefined
}

describe('access operations', () => {
  it('makes keys with the gateway prefix and 256 random bits, never the same twice', () => {
    const a = generateKey()
    expect(a).toMatch(new RegExp(`^${KEY_PREFIX}[A-Za-z0-9_-]{43}$`))
    expect(generateKey()).not.toBe(a)
  })

  it('adds a key as its hash under a name, with the next revision, leaving the old state as it was', () => {
    const s = addKey('checkout', 'main', hashKey('k-0123456789abcdef'), at)(base)
    expect(s.revision).toBe(4)
    expect(s.applications.checkout!.keys).toEqual([{ id: hashKey('k-0123456789abcdef').slice(7, 15), name: 'main', hash: hashKey('k-0123456789abcdef'), createdAt: at.toISOString(), expiresAt: null }])
    expect(base.applications.checkout!.keys).toEqual([])
  })

  it('refuses a second key under one name, a key another application has, and an unknown application', () => {
    const s = addKey('checkout', 'main', hashKey('k-0123456789abcdef'), at)(putApplication('other', spec)(base))
    expect(codeOf(() => addKey('checkout', 'main', hashKey('x-0123456789abcdef'), at)(s))).toBe('GW_CONFLICT')
    expect(codeOf(() => addKey('other', 'main', hashKey('k-0123456789abcdef'), at)(s))).toBe('GW_CONFLICT')
    expect(codeOf(() => addKey('nobody', 'main', hashKey('y-0123456789abcdef'), at)(s))).toBe('GW_UNKNOWN_APPLICATION')
  })

  it('rotation adds a key under the name and gives the old one the grace period; 0 grace removes it', () => {
    const one = addKey('checkout', 'main', hashKey('old-0123456789abcdef'), at)(base)
    const graced = rotateKey('checkout', 'main', hashKey('new-0123456789abcdef'), 600, at)(one)
    expect(graced.applications.checkout!.keys.map(k => [k.hash === hashKey('new-0123456789abcdef'), k.expiresAt])).toEqual([[false, '2030-01-01T00:10:00.000Z'], [true, null]])
    const now = rotateKey('checkout', 'main', hashKey('new-0123456789abcdef'), 0, at)(one)
    expect(now.applications.checkout!.keys.map(k => k.hash)).toEqual([hashKey('new-0123456789abcdef')])
  })

  it('revokes by name or by id at once, and says so when nothing matches', () => {
    const s = addKey('checkout', 'main', hashKey('k-0123456789abcdef'), at)(base)
    const id = s.applications.checkout!.keys[0]!.id
    expect(revokeKey('checkout', 'main')(s).applications.checkout!.keys).toEqual([])
    expect(revokeKey('checkout', id)(s).applications.checkout!.keys).toEqual([])
    expect(codeOf(() => revokeKey('checkout', 'nope')(s))).toBe('GW_CONFLICT')
  })

  it('setting an application keeps its keys; deleting removes them with it', () => {
    const s = addKey('checkout', 'main', hashKey('k-0123456789abcdef'), at)(base)
    const changed = putApplication('checkout', { ...spec, models: ['*'], rights: ['batch'] })(s)
    expect(changed.applications.checkout).toMatchObject({ models: ['*'], rights: ['batch'], keys: s.applications.checkout!.keys })
    expect(deleteApplication('checkout')(s).applications).toEqual({})
  })

  it('seeding adds only the applications the state lacks, without a key another application has', () => {
    const s = addKey('checkout', 'main', hashKey('k-0123456789abcdef'), at)(base)
    const fromConfig: Record<string, ApplicationState> = {
      checkout: { ...spec, models: ['churn'], keys: [] },
      newcomer: { ...spec, keys: [{ id: 'x', name: 'a', hash: hashKey('k-0123456789abcdef'), createdAt: '', expiresAt: null }, { id: 'y', name: 'b', hash: hashKey('n-0123456789abcdef'), createdAt: '', expiresAt: null }] }
    }
    const seeded = seedApplications(fromConfig)(s)
    expect(seeded.applications.checkout!.models).toEqual(['fraud'])
    expect(seeded.applications.newcomer!.keys.map(k => k.name)).toEqual(['b'])
  })
})
