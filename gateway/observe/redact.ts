/**
 * Redaction of recorded bodies (a model's `redact`): named fields are dropped
 * or replaced by a keyed hash before a record or a shadow pair leaves the
 * gateway, so they never reach Kafka or ClickHouse. A field is an OIP tensor
 * (an entry of `inputs` or `outputs` by its `name`) or a key of a
 * `parameters` object (the request's, the response's or a tensor's).
 *
 * A hashed value becomes the first 16 hex digits of HMAC-SHA256(logging.hashKey,
 * value): equal values stay equal, so analysts can still count and join on
 * them; without the key nobody can try the few values a field may have (a plain
 * hash of a date of birth is reversed by hashing every date).
 *
 * Redaction needs the whole JSON: a body that cannot be parsed whole (not JSON,
 * or cut by the inflate bound) is not kept at all. Runs for sampled requests only.
 */
import { createHmac } from 'node:crypto'
import type { ResolvedRedact } from '../config/resolve-access.js'

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

const HASH_HEX_DIGITS = 16

export class Redactor {
  readonly #drop: ReadonlySet<string>
  readonly #hash: ReadonlySet<string>
  readonly #key: string

  constructor (fields: ResolvedRedact, hashKey: string | undefined) {
    this.#drop = new Set(fields.drop)
    this.#hash = new Set(fields.hash)
    if (fields.hash.length > 0 && hashKey === undefined) throw new Error('redact.hash needs logging.hashKey')
    this.#key = hashKey ?? ''
  }

  /** A redactor for each model that names fields (a model without any gets none). */
  static forModels (models: Readonly<Record<string, { redact?: ResolvedRedact }>>, hashKey: string | undefined): Map<string, Redactor> {
    const out = new Map<string, Redactor>()
    for (const [name, m] of Object.entries(models)) {
      const r = m.redact
      if (r !== undefined && (r.drop.length > 0 || r.hash.length > 0)) out.set(name, new Redactor(r, hashKey))
    }
    return out
  }

  /** The JSON with the fields dropped or hashed; null when it does not parse whole (then nothing of it may be kept). */
  apply (json: Buffer): Buffer | null {
    let v: Json
    try {
      v = JSON.parse(json.toString('utf8')) as Json
    } catch {
      return null
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return json
    this.#tensors(v.inputs)
    this.#tensors(v.outputs)
    this.#parameters(v.parameters)
    return Buffer.from(JSON.stringify(v))
  }

  #tensors (list: Json | undefined): void {
    if (!Array.isArray(list)) return
    for (let i = list.length - 1; i >= 0; i--) {
      const t = list[i]
      if (t === null || typeof t !== 'object' || Array.isArray(t)) continue
      const name = typeof t.name === 'string' ? t.name : ''
      if (this.#drop.has(name)) {
        list.splice(i, 1)
        continue
      }
      if (this.#hash.has(name) && t.data !== undefined) t.data = this.#hashed(t.data)
      this.#parameters(t.parameters)
    }
  }

  #parameters (p: Json | undefined): void {
    if (p === null || typeof p !== 'object' || Array.isArray(p)) return
    for (const k of Object.keys(p)) {
      if (this.#drop.has(k)) delete p[k]
      else if (this.#hash.has(k)) p[k] = this.#hashed(p[k]!)
    }
  }

  /** Every leaf value hashed; the shape of nested data arrays stays. */
  #hashed (v: Json): Json {
    if (Array.isArray(v)) return v.map(x => this.#hashed(x))
    return createHmac('sha256', this.#key).update(typeof v === 'string' ? v : JSON.stringify(v)).digest('hex').slice(0, HASH_HEX_DIGITS)
  }
}
