/**
 * Who may score what: the applications allowed on the data plane, each with
 * the models it may use, its rights, its quota and its API keys (stored as
 * SHA-256 hashes, never as keys). Plain JSON with a revision, like the routing
 * state, and kept beside it (memory, a file, or Redis for a fleet) but apart
 * from it, so key changes never touch routing revisions. The config seeds it;
 * the admin API and CLI change it at runtime.
 */
import { createHash } from 'node:crypto'

/** batch: may mark its requests `x-gateway-traffic: batch`. outcomes: may report outcomes for its models. */
export type AccessRight = 'batch' | 'outcomes'
export const ACCESS_RIGHTS: readonly AccessRight[] = ['batch', 'outcomes']

/** Matches every model (in `models`) or every version (in `versions`). */
export const ANY = '*'

/** Requests per second across the fleet, with a burst of that many requests at once. */
export interface Quota {
  rps: number
  burst: number
}

export interface KeyRecord {
  /** Short public id (the first hex digits of the hash): shown in listings and logs instead of the key. */
  id: string
  /** The operator's label; rotation keeps the name and adds a key under it. */
  name: string
  /** `sha256:<hex>` of the key. */
  hash: string
  createdAt: string
  /** Set when the key was rotated: it stops working at this time. */
  expiresAt: string | null
}

export interface ApplicationState {
  /** Model names, or '*' for every model. */
  models: string[]
  /**
   * Versions the application may name explicitly (URL `/versions/{v}` or the
   * version header), per model; '*' for any. Without an entry, requests are
   * routed (canary, sticky) and explicit selection is refused, so a preview
   * stays out of reach.
   */
  versions: Record<string, string[]>
  rights: AccessRight[]
  /** Per model unless `quotas` names the model; null: no limit. */
  quota: Quota | null
  quotas: Record<string, Quota>
  keys: KeyRecord[]
}

export interface AccessState {
  revision: number
  applications: Record<string, ApplicationState>
}

/** A key's stored form: SHA-256 suffices, as keys are long random strings (no dictionary to try). */
export function hashKey (key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`
}

export const KEY_HASH_PATTERN = '^sha256:[0-9a-f]{64}$'
export const KEY_ID_LENGTH = 8

/** The public id of a key hash. */
export function keyId (hash: string): string {
  return hash.slice('sha256:'.length, 'sha256:'.length + KEY_ID_LENGTH)
}

/** Rejects a stored access state that is not shaped like one, so a corrupt file or key never reaches the gate. */
export function parseAccessState (text: string): AccessState {
  const v = JSON.parse(text) as Partial<AccessState> | null
  if (v === null || typeof v !== 'object' || !Number.isInteger(v.revision) || v.applications === null || typeof v.applications !== 'object') {
    throw new Error('stored access state has no integer revision or no applications')
  }
  return v as AccessState
}
