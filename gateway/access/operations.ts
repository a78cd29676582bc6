/**
 * Changes to the access state, as pure functions from one state to the next
 * (the stores run them under compare-and-set). Each returns a new state with
 * the next revision; the state given is never changed in place.
 */
import { randomBytes } from 'node:crypto'
import { GatewayError } from '../errors.js'
import { hashKey, keyId, type AccessState, type ApplicationState, type KeyRecord } from '../state/access-state.js'

export type AccessOperation = (state: AccessState) => AccessState

/** What an operator sets for an application; its keys are changed by the key operations only. */
export type ApplicationSpec = Omit<ApplicationState, 'keys'>

/** Prefix of keys the gateway makes, so a leaked one is easy to recognise (secret scanners, logs). */
export const KEY_PREFIX = 'mgw_'
/** Keys per application at most (rotation grace periods keep old ones for a while). */
export const MAX_KEYS_PER_APPLICATION = 100

/** A new API key: 32 random bytes, base64url. */
export function generateKey (): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`
}

function next (state: AccessState, applications: Record<string, ApplicationState>): AccessState {
  return { revision: state.revision + 1, applications }
}

function appOf (state: AccessState, name: string): ApplicationState {
  const app = state.applications[name]
  if (app === undefined) throw new GatewayError('GW_UNKNOWN_APPLICATION', { application: name, detail: 'register it with "model-gateway apps set" first' })
  return app
}

/** Keys past their expiry are left out of every state written. */
function live (keys: readonly KeyRecord[], now: number): KeyRecord[] {
  return keys.filter(k => k.expiresAt === null || Date.parse(k.expiresAt) > now)
}

export function putApplication (name: string, spec: ApplicationSpec): AccessOperation {
  return (state) => {
    const keys = state.applications[name]?.keys ?? []
    return next(state, { ...state.applications, [name]: { ...structuredClone(spec), keys: live(keys, Date.now()) } })
  }
}

export function deleteApplication (name: string): AccessOperation {
  return (state) => {
    appOf(state, name)
    const applications = { ...state.applications }
    delete applications[name]
    return next(state, applications)
  }
}

/** Adds a key under a new name. `hash` is the key's hashKey(); the key itself never reaches the state. */
export function addKey (app: string, name: string, hash: string, at = new Date()): AccessOperation {
  return (state) => {
    const a = appOf(state, app)
    const keys = live(a.keys, at.getTime())
    if (keys.some(k => k.name === name)) throw new GatewayError('GW_CONFLICT', { detail: `application "${app}" has a key named "${name}" already; rotate or revoke it` })
    if (owner(state, hash) !== undefined) throw new GatewayError('GW_CONFLICT', { detail: 'that key is in use already' })
    if (keys.length >= MAX_KEYS_PER_APPLICATION) throw new GatewayError('GW_CONFLICT', { detail: `application "${app}" has ${keys.length} keys, the most it may have; revoke some first` })
    return next(state, { ...state.applications, [app]: { ...a, keys: [...keys, record(name, hash, at)] } })
  }
}

/**
 * Adds a new key under `name`; the keys the name had stop working after
 * `graceS` seconds (at once with 0), so clients can move to the new one.
 */
export function rotateKey (app: string, name: string, hash: string, graceS: number, at = new Date()): AccessOperation {
  return (state) => {
    const a = appOf(state, app)
    const keys = live(a.keys, at.getTime())
    if (!keys.some(k => k.name === name)) throw new GatewayError('GW_CONFLICT', { detail: `application "${app}" has no key named "${name}" to rotate; add one` })
    if (owner(state, hash) !== undefined) throw new GatewayError('GW_CONFLICT', { detail: 'that key is in use already' })
    const until = new Date(at.getTime() + graceS * 1000).toISOString()
    const kept = graceS <= 0
      ? keys.filter(k => k.name !== name)
      : keys.map(k => k.name === name && (k.expiresAt === null || k.expiresAt > until) ? { ...k, expiresAt: until } : k)
    return next(state, { ...state.applications, [app]: { ...a, keys: [...kept, record(name, hash, at)] } })
  }
}

/** Removes at once every key with this name or id. */
export function revokeKey (app: string, nameOrId: string): AccessOperation {
  return (state) => {
    const a = appOf(state, app)
    const keys = a.keys.filter(k => k.name !== nameOrId && k.id !== nameOrId)
    if (keys.length === a.keys.length) throw new GatewayError('GW_CONFLICT', { detail: `application "${app}" has no key named or with id "${nameOrId}"` })
    return next(state, { ...state.applications, [app]: { ...a, keys: live(keys, Date.now()) } })
  }
}

/** Adds the applications `initial` declares and `state` lacks; those stored stay as operators left them. */
export function seedApplications (initial: Record<string, ApplicationState>): AccessOperation {
  return (state) => {
    const applications = { ...state.applications }
    for (const [name, app] of Object.entries(initial)) {
      if (applications[name] !== undefined) continue
      // A key the config gives one application must not already open another.
      applications[name] = { ...structuredClone(app), keys: app.keys.filter(k => owner(state, k.hash) === undefined) }
    }
    return next(state, applications)
  }
}

/** The applications `initial` declares and `state` lacks. */
export function missingApplications (state: AccessState, initial: Record<string, ApplicationState>): string[] {
  return Object.keys(initial).filter(a => state.applications[a] === undefined)
}

function owner (state: AccessState, hash: string): string | undefined {
  for (const [name, a] of Object.entries(state.applications)) if (a.keys.some(k => k.hash === hash)) return name
  return undefined
}

function record (name: string, hash: string, at: Date): KeyRecord {
  return { id: keyId(hash), name, hash, createdAt: at.toISOString(), expiresAt: null }
}

export { hashKey }
