/**
 * JWT verification with `jose`: signature (keys from a JWKS URL, a JWKS file
 * or a shared secret), expiry, audience and issuer; the application id and,
 * when configured, the sticky key come from claims. The signing keys are
 * fetched at start and refreshed on a timer (and soon after a token names a
 * key id the gateway does not know), never while a request waits: the data
 * plane makes no network call but the one to the model. A failure names its
 * reason (expired, bad signature, wrong audience …) and never the token.
 */
import { readFile } from 'node:fs/promises'
import { request } from 'undici'
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import type { Logger } from '../observe/log.js'
import type { ResolvedJwt } from '../config/resolve-access.js'

export interface JwtIdentity {
  application: string
  stickyKey: string | undefined
  /** Epoch ms after which the token no longer counts (its exp). */
  until: number
}

export type JwtResult = JwtIdentity | { reason: string }

/** After a token names an unknown key id, the keys are fetched again at most this often. */
export const UNKNOWN_KID_REFRESH_MS = 30_000
const FETCH_TIMEOUT_MS = 5_000
const MAX_JWKS_BYTES = 1024 * 1024

export class JwtVerifier {
  readonly #cfg: ResolvedJwt
  readonly #log: Logger
  #key: JWTVerifyGetKey | Uint8Array | null = null
  #timer: NodeJS.Timeout | undefined
  #lastForced = 0
  #refreshing: Promise<void> | undefined

  constructor (cfg: ResolvedJwt, log: Logger) {
    this.#cfg = cfg
    this.#log = log.child({ component: 'jwt' })
  }

  /** Loads the signing keys; a JWKS that cannot be fetched now is logged and tried again on the timer. */
  async start (): Promise<void> {
    if (this.#cfg.secret !== undefined) {
      this.#key = new TextEncoder().encode(this.#cfg.secret)
      return
    }
    await this.refresh()
    this.#timer = setInterval(() => { void this.refresh() }, this.#cfg.refreshMs)
    this.#timer.unref()
  }

  close (): void {
    clearInterval(this.#timer)
  }

  /** Fetches the JWKS again (folded with one already running). */
  refresh (): Promise<void> {
    this.#refreshing ??= this.#fetchKeys().finally(() => { this.#refreshing = undefined })
    return this.#refreshing
  }

  async verify (token: string): Promise<JwtResult> {
    const key = this.#key
    if (key === null) return { reason: 'the gateway has no signing keys yet (the JWKS could not be fetched)' }
    const c = this.#cfg
    let payload: JWTPayload
    try {
      const opts = { audience: c.audience, issuer: c.issuer, algorithms: c.algorithms, clockTolerance: c.clockToleranceS, requiredClaims: ['exp'] }
      payload = (key instanceof Uint8Array ? await jwtVerify(token, key, opts) : await jwtVerify(token, key, opts)).payload
    } catch (err) {
      return { reason: this.#reason(err as Error & { code?: string, claim?: string, payload?: JWTPayload }) }
    }
    const application = payload[c.applicationClaim]
    if (typeof application !== 'string' || application === '') return { reason: `token has no "${c.applicationClaim}" claim naming the application` }
    const sticky = c.stickyClaim === undefined ? undefined : payload[c.stickyClaim]
    return { application, stickyKey: typeof sticky === 'string' && sticky !== '' ? sticky : undefined, until: payload.exp! * 1000 }
  }

  #reason (err: Error & { code?: string, claim?: string, payload?: JWTPayload }): string {
    const c = this.#cfg
    switch (err.code) {
      case 'ERR_JWT_EXPIRED':
        return `token expired at ${new Date((err.payload?.exp ?? 0) * 1000).toISOString()}`
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
        return 'token signature does not verify'
      case 'ERR_JWKS_NO_MATCHING_KEY':
        this.#unknownKey()
        return 'token is signed with a key the gateway does not know'
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
        return `token algorithm is not one of ${c.algorithms.join(', ')}`
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
        if (err.claim === 'aud') return `token audience is not ${c.audience.map(a => JSON.stringify(a)).join(' or ')}`
        if (err.claim === 'iss') return `token issuer is not ${JSON.stringify(c.issuer)}`
        if (err.claim === 'nbf') return 'token is not valid yet (nbf)'
        return `token claim "${err.claim ?? '?'}" is missing or invalid`
      default:
        return 'token is not a valid signed JWT'
    }
  }

  #unknownKey (): void {
    if (this.#cfg.secret !== undefined || Date.now() - this.#lastForced < UNKNOWN_KID_REFRESH_MS) return
    this.#lastForced = Date.now()
    void this.refresh()
  }

  async #fetchKeys (): Promise<void> {
    const c = this.#cfg
    const from = c.jwksUrl ?? c.jwksFile!
    try {
      const text = c.jwksUrl !== undefined ? await fetchText(c.jwksUrl) : await readFile(c.jwksFile!, 'utf8')
      const jwks = JSON.parse(text) as JSONWebKeySet
      this.#key = createLocalJWKSet(jwks)
      this.#log.info({ from, keys: Array.isArray(jwks.keys) ? jwks.keys.length : 0 }, 'JWT signing keys loaded')
    } catch (err) {
      this.#log.warn({ from, err: (err as Error).message }, this.#key === null ? 'cannot load the JWT signing keys; tokens are refused until they load' : 'cannot refresh the JWT signing keys; the loaded ones stay')
    }
  }
}

async function fetchText (url: string): Promise<string> {
  const res = await request(url, { headersTimeout: FETCH_TIMEOUT_MS, bodyTimeout: FETCH_TIMEOUT_MS, headers: { accept: 'application/json' } })
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    length += chunk.length
    if (length > MAX_JWKS_BYTES) {
      res.body.destroy()
      throw new Error(`the JWKS is larger than ${MAX_JWKS_BYTES} bytes`)
    }
    chunks.push(chunk)
  }
  if (res.statusCode !== 200) throw new Error(`the JWKS URL answered ${res.statusCode}`)
  return Buffer.concat(chunks).toString('utf8')
}
