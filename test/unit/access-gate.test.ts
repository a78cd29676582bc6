import { afterEach, describe, expect, it, vi } from 'vitest'
import { AccessGate, type Caller } from '../../gateway/access/gate.js'
import { QuotaBuckets } from '../../gateway/access/quota.js'
import { GatewayError } from '../../gateway/errors.js'
import { hashKey, type AccessState, type ApplicationState } from '../../gateway/state/access-state.js'

// The gate on its own: which application a credential names, what it may use,
// when its quota refuses, and that a new state (a revoke) or a key's expiry
// takes effect at once although credentials are cached.

const KEY = 'unit-test-key-0123456789abcdef'
const OTHER = 'unit-test-other-key-0123456789'

function app (over: Partial<ApplicationState> = {}): ApplicationState {
  return { models: ['fraud'], versions: {}, rights: [], quota: null, quotas: {}, keys: [], ...over }
}

function state (revision: number, applications: Record<string, ApplicationState>): AccessState {
  return { revision, applications }
}

function key (k: string, name = 'main', expiresAt: string | null = null): ApplicationState['keys'][number] {
  const hash = hashKey(k)
  return { id: hash.slice(7, 15), name, hash, createdAt: new Date().toISOString(), expiresAt }
}

function caller (gate: AccessGate, k: string): Caller | GatewayError {
  const c = gate.authenticate({ authorization: `Bearer ${k}` })
  if (c instanceof Promise) throw new Error('a key never needs a promise')
  return c
}

afterEach(() => { vi.useRealTimers() })

describe('AccessGate', () => {
  it('names the application of a key, with its rights, and refuses an unknown key or no header with 401', () => {
    const gate = new AccessGate(new QuotaBuckets(), null)
    gate.apply(state(1, { checkout: app({ rights: ['batch'], keys: [key(KEY)] }) }))
    const c = caller(gate, KEY) as Caller
    expect({ application: c.application, batch: c.batch, outcomes: c.outcomes }).toEqual({ application: 'checkout', batch: true, outcomes: false })
    expect(c.via).toMatch(/^key [0-9a-f]{8}$/)
    expect((caller(gate, OTHER) as GatewayError).statusCode).toBe(401)
    expect((gate.authenticate({}) as GatewayError).code).toBe('GW_UNAUTHORIZED')
    expect((gate.authenticate({ authorization: KEY }) as GatewayError).code).toBe('GW_UNAUTHORIZED')
  })

  it('takes the bearer scheme in any case and returns the same caller object for the same header (cached)', () => {
    const gate = new AccessGate(new QuotaBuckets(), null)
    gate.apply(state(1, { checkout: app({ keys: [key(KEY)] }) }))
    const a = caller(gate, KEY)
    expect(gate.authenticate({ authorization: `Bearer ${KEY}` })).toBe(a)
    expect(gate.authenticate({ authorization: `bearer ${KEY}` })).toBe(a)
  })

  it('a key revoked by a new state is refused at once, cached or not', () => {
    const gate = new AccessGate(new QuotaBuckets(), null)
    gate.apply(state(1, { checkout: app({ keys: [key(KEY)] }) }))
    expect(caller(gate, KEY)).not.toBeInstanceOf(GatewayError)
    gate.apply(state(2, { checkout: app() }))
    expect((caller(gate, KEY) as GatewayError).statusCode).toBe(401)
  })

  it('a rotated key stops at its expiry: the gate rebuilds on a timer', () => {
    vi.useFakeTimers()
    const gate = new AccessGate(new QuotaBuckets(), null)
    gate.apply(state(1, { checkout: app({ keys: [key(KEY, 'main', new Date(Date.now() + 5_000).toISOString()), key(OTHER)] }) }))
    expect(caller(gate, KEY)).not.toBeInstanceOf(GatewayError)
    vi.advanceTimersByTime(5_100)
    expect((caller(gate, KEY) as GatewayError).statusCode).toBe(401)
    expect(caller(gate, OTHER)).not.toBeInstanceOf(GatewayError)
    gate.close()
  })

  it.each([
    ['a model in scope, routed', 'fraud', undefined, null],
    ['another model', 'churn', undefined, 'may not use model "churn"'],
    ['an explicit version not granted', 'fraud', 'v2', 'may not select version "v2" of model "fraud" explicitly'],
    ['an explicit version granted', 'fraud', 'v3', null]
  ])('admits %s or answers 403', (_what, model, version, refusal) => {
    const gate = new AccessGate(new QuotaBuckets(), null)
    gate.apply(state(1, { checkout: app({ versions: { fraud: ['v3'] }, keys: [key(KEY)] }) }))
    const r = gate.admit(caller(gate, KEY) as Caller, model, version, true)
    if (refusal === null) expect(r).toBeNull()
    else {
      expect(r?.statusCode).toBe(403)
      expect(r?.message).toContain(refusal)
    }
  })

  it('"*" grants every model and every explicit version', () => {
    const gate = new AccessGate(new QuotaBuckets(), null)
    gate.apply(state(1, { ops: app({ models: ['*'], versions: { '*': ['*'] }, keys: [key(KEY)] }) }))
    expect(gate.admit(caller(gate, KEY) as Caller, 'anything', 'v9', true)).toBeNull()
  })

  it('a quota refuses beyond its burst with 429 and a whole-second Retry-After; metadata calls are not counted', () => {
    const gate = new AccessGate(new QuotaBuckets(), null)
    gate.apply(state(1, { checkout: app({ quota: { rps: 0.5, burst: 2 }, keys: [key(KEY)] }) }))
    const c = caller(gate, KEY) as Caller
    for (let i = 0; i < 5; i++) expect(gate.admit(c, 'fraud', undefined, false)).toBeNull()
    expect([gate.admit(c, 'fraud', undefined, true), gate.admit(c, 'fraud', undefined, true)]).toEqual([null, null])
    const refused = gate.admit(c, 'fraud', undefined, true)!
    expect(refused.code).toBe('GW_RATE_LIMITED')
    expect(refused.headers).toEqual(['retry-after', '2'])
  })

  it('a quota bucket outlives a new state with the same quota (a revoke elsewhere does not refill it)', () => {
    const gate = new AccessGate(new QuotaBuckets(), null)
    const s = (rev: number): AccessState => state(rev, { checkout: app({ quota: { rps: 0.001, burst: 1 }, keys: [key(KEY)] }) })
    gate.apply(s(1))
    expect(gate.admit(caller(gate, KEY) as Caller, 'fraud', undefined, true)).toBeNull()
    gate.apply(s(2))
    expect(gate.admit(caller(gate, KEY) as Caller, 'fraud', undefined, true)?.code).toBe('GW_RATE_LIMITED')
  })

  it('check() answers for routes besides scoring: 403 without the right asked for', async () => {
    const gate = new AccessGate(new QuotaBuckets(), null)
    gate.apply(state(1, { reporter: app({ rights: ['outcomes'], keys: [key(KEY)] }), scorer: app({ keys: [key(OTHER)] }) }))
    expect(await gate.check({ authorization: `Bearer ${KEY}` }, 'fraud', 'outcomes')).toMatchObject({ application: 'reporter' })
    expect(((await gate.check({ authorization: `Bearer ${OTHER}` }, 'fraud', 'outcomes')) as GatewayError).message).toBe('application "scorer" has no "outcomes" right')
    expect(((await gate.check({}, 'fraud', 'outcomes')) as GatewayError).statusCode).toBe(401)
  })
})
