/**
 * Who may call, checked on the data plane before decide: authenticate (an API
 * key or a JWT in `authorization: Bearer …` names an application), then admit
 * (the application may use the model, may name the version, is within its
 * quota). 401, 403 and 429 come from the one error catalogue.
 *
 * The hot path is a hash lookup: a presented credential is looked up by the
 * whole header value in a cache of the callers it named; only a value not seen
 * yet is parsed and hashed (SHA-256 of a key, or a JWT verified), and only
 * credentials that named a caller are cached. Callers are built once per key
 * and state, so a request allocates nothing here. Every new access state (a
 * key revoked on any instance) rebuilds the tables and empties the cache; a
 * rotated key's expiry rebuilds them on a timer.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { GatewayError } from '../errors.js'
import { ANY, hashKey, type AccessRight, type AccessState, type ApplicationState, type Quota } from '../state/access-state.js'
import type { JwtVerifier } from './jwt.js'
import type { QuotaBuckets, TokenBucket } from './quota.js'

/** The application behind a request, as the gate found it. */
export interface Caller {
  readonly application: string
  /** May mark its requests as batch traffic. */
  readonly batch: boolean
  /** May report outcomes for the models it may use. */
  readonly outcomes: boolean
  /** From a JWT claim (access.jwt.stickyClaim): the sticky key instead of the model's header or cookie. */
  readonly stickyKey: string | undefined
  /** How the caller proved who it is; a key's public id, never the key. */
  readonly via: string
  /** @internal */
  readonly app: CompiledApp
}

/** RFC 7235 section 2.1: the scheme is case-insensitive. */
const BEARER = /^bearer +/i
/** Credentials that named a caller, kept at most; the cache starts over when full. */
export const MAX_CACHED_CREDENTIALS = 10_000
const NO_CREDENTIAL = 'no API key or token: send "authorization: Bearer <key>"'

/** One application's scope, rights and quota, compiled for lookups. */
export class CompiledApp {
  readonly name: string
  readonly #all: boolean
  readonly #models: ReadonlySet<string>
  readonly #versions: ReadonlyMap<string, ReadonlySet<string> | true>
  readonly #rights: ReadonlySet<AccessRight>
  readonly #quota: Quota | null
  readonly #quotas: Readonly<Record<string, Quota>>
  readonly #quotaBuckets: QuotaBuckets
  /** model -> this instance's bucket (null: no quota); filled on first use. */
  readonly #buckets = new Map<string, TokenBucket | null>()

  constructor (name: string, a: ApplicationState, quotas: QuotaBuckets) {
    this.name = name
    this.#all = a.models.includes(ANY)
    this.#models = new Set(a.models)
    this.#versions = new Map(Object.entries(a.versions).map(([m, vs]) => [m, vs.includes(ANY) ? true : new Set(vs)]))
    this.#rights = new Set(a.rights)
    this.#quota = a.quota
    this.#quotas = a.quotas
    this.#quotaBuckets = quotas
  }

  has (right: AccessRight): boolean {
    return this.#rights.has(right)
  }

  mayUse (model: string): boolean {
    return this.#all || this.#models.has(model)
  }

  mayName (model: string, version: string): boolean {
    const v = this.#versions.get(model) ?? this.#versions.get(ANY)
    return v === true || (v !== undefined && v.has(version))
  }

  bucket (model: string, now: number): TokenBucket | null {
    let b = this.#buckets.get(model)
    if (b === undefined) {
      const q = this.#quotas[model] ?? this.#quota
      b = q === null ? null : this.#quotaBuckets.bucket(this.name, model, q, now)
      this.#buckets.set(model, b)
    }
    return b
  }
}

interface Cached { caller: Caller, until: number }

export class AccessGate {
  readonly #jwt: JwtVerifier | null
  readonly #quotas: QuotaBuckets
  #apps = new Map<string, CompiledApp>()
  #byHash = new Map<string, Caller>()
  #cache = new Map<string, Cached>()
  #state: AccessState | null = null
  #expiry: NodeJS.Timeout | undefined

  constructor (quotas: QuotaBuckets, jwt: JwtVerifier | null) {
    this.#quotas = quotas
    this.#jwt = jwt
  }

  get applications (): ReadonlyMap<string, CompiledApp> {
    return this.#apps
  }

  /** Takes a new access state: keys and scopes from now on, every cached credential forgotten. */
  apply (state: AccessState): void {
    this.#state = state
    const now = Date.now()
    const apps = new Map<string, CompiledApp>()
    const byHash = new Map<string, Caller>()
    let nextExpiry = Infinity
    for (const [name, a] of Object.entries(state.applications)) {
      const app = new CompiledApp(name, a, this.#quotas)
      apps.set(name, app)
      for (const k of a.keys) {
        const expires = k.expiresAt === null ? Infinity : Date.parse(k.expiresAt)
        if (expires <= now) continue
        nextExpiry = Math.min(nextExpiry, expires)
        byHash.set(k.hash, callerOf(app, undefined, `key ${k.id}`))
      }
    }
    this.#apps = apps
    this.#byHash = byHash
    this.#cache = new Map()
    this.#quotas.retain(new Set(apps.keys()))
    clearTimeout(this.#expiry)
    if (nextExpiry !== Infinity) {
      // setTimeout takes at most 2^31-1 ms; a later expiry is looked at again then.
      this.#expiry = setTimeout(() => { if (this.#state !== null) this.apply(this.#state) }, Math.min(nextExpiry - now + 5, 0x7fffffff))
      this.#expiry.unref()
    }
  }

  close (): void {
    clearTimeout(this.#expiry)
  }

  /** The caller a request's credential names, or 401 (403 for a valid token of an unregistered application). */
  authenticate (headers: IncomingHttpHeaders): Caller | GatewayError | Promise<Caller | GatewayError> {
    const h = headers.authorization
    if (h === undefined) return unauthorized(NO_CREDENTIAL)
    const hit = this.#cache.get(h)
    if (hit !== undefined && (hit.until === Infinity || Date.now() < hit.until)) return hit.caller
    return this.#resolve(h)
  }

  /** Whether the caller may use this model (and name this version), within its quota; null when it may. */
  admit (caller: Caller, model: string, explicitVersion: string | undefined, infer: boolean): GatewayError | null {
    const app = caller.app
    if (!app.mayUse(model)) return forbidden(`application "${app.name}" may not use model "${model}"`, model)
    if (explicitVersion !== undefined && !app.mayName(model, explicitVersion)) {
      return forbidden(`application "${app.name}" may not select version "${explicitVersion}" of model "${model}" explicitly`, model)
    }
    if (infer) {
      const now = performance.now()
      const b = app.bucket(model, now)
      const wait = b === null ? 0 : b.take(now)
      if (wait > 0) return new GatewayError('GW_RATE_LIMITED', { model, retryAfterS: wait, detail: `application "${app.name}" is over its quota of ${round(b!.rate * this.#quotas.instances)} requests/s` })
    }
    return null
  }

  /**
   * For data-plane routes besides scoring (e.g. outcome reports): whether the
   * request's caller may use `model` and holds `right`. Resolves to the caller, or to
   * the 401/403 to answer.
   */
  async check (headers: IncomingHttpHeaders, model: string, right?: AccessRight): Promise<Caller | GatewayError> {
    let c = this.authenticate(headers)
    if (c instanceof Promise) c = await c
    if (c instanceof GatewayError) return c
    const refused = this.admit(c, model, undefined, false)
    if (refused !== null) return refused
    if (right !== undefined && !c.app.has(right)) return forbidden(`application "${c.application}" has no "${right}" right`, model)
    return c
  }

  #resolve (header: string): Caller | GatewayError | Promise<Caller | GatewayError> {
    const m = BEARER.exec(header)
    if (m === null) return unauthorized(NO_CREDENTIAL)
    const token = header.slice(m[0].length).trim()
    const byKey = this.#byHash.get(hashKey(token))
    if (byKey !== undefined) return this.#remember(header, byKey, Infinity)
    if (this.#jwt === null || !looksLikeJwt(token)) return unauthorized('the API key is not valid (unknown, revoked or expired)')
    const state = this.#state
    return this.#jwt.verify(token).then((r) => {
      if ('reason' in r) return unauthorized(r.reason)
      const app = this.#apps.get(r.application)
      if (app === undefined) return forbidden(`application "${r.application}" named by the token is not registered`)
      const caller = callerOf(app, r.stickyKey, 'jwt')
      // A state that changed while the token was verified may have removed the application: do not cache then.
      return this.#state === state ? this.#remember(header, caller, r.until) : caller
    })
  }

  #remember (header: string, caller: Caller, until: number): Caller {
    if (this.#cache.size >= MAX_CACHED_CREDENTIALS) this.#cache.clear()
    this.#cache.set(header, { caller, until })
    return caller
  }
}

function callerOf (app: CompiledApp, stickyKey: string | undefined, via: string): Caller {
  return Object.freeze({ application: app.name, batch: app.has('batch'), outcomes: app.has('outcomes'), stickyKey, via, app })
}

function looksLikeJwt (token: string): boolean {
  const a = token.indexOf('.')
  return a > 0 && token.indexOf('.', a + 1) > a + 1 && token.indexOf('.', token.lastIndexOf('.') + 1) === -1
}

function unauthorized (detail: string): GatewayError {
  return new GatewayError('GW_UNAUTHORIZED', { detail })
}

function forbidden (detail: string, model?: string): GatewayError {
  return new GatewayError('GW_FORBIDDEN', { detail, model })
}

function round (x: number): number {
  return Math.round(x * 1000) / 1000
}
