/**
 * Resolves the `access`, TLS and redaction parts of a config: defaults, the
 * checks the schema cannot express (a key given as key or as hash, not both;
 * versions and quotas only for models the application may use), and keys
 * hashed at once so no key outlives the load. Errors name the path; never a key.
 */
import type { AccessConfig, ApplicationConfig, JwtConfig, ListenerTlsConfig, RedactConfig, UpstreamTlsConfig } from './access-schema.js'
import { ANY, hashKey, keyId, type AccessRight, type ApplicationState, type KeyRecord, type Quota } from '../state/access-state.js'
import { readTlsFiles, TlsFileError, type TlsContents, type TlsFiles } from '../tls/material.js'
import { ConfigError } from './raw.js'

/** Signature algorithms accepted from a JWKS when the config names none: the asymmetric ones. */
export const DEFAULT_JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']
export const DEFAULT_JWT_APPLICATION_CLAIM = 'sub'
export const DEFAULT_JWKS_REFRESH_MS = 600_000
export const DEFAULT_JWT_CLOCK_TOLERANCE_S = 30

export interface ResolvedJwt {
  audience: string[]
  issuer: string | undefined
  /** Exactly one of the three key sources is set. */
  jwksUrl: string | undefined
  jwksFile: string | undefined
  secret: string | undefined
  algorithms: string[]
  applicationClaim: string
  stickyClaim: string | undefined
  refreshMs: number
  clockToleranceS: number
}

export interface ResolvedAccess {
  enabled: boolean
  file: string | undefined
  /** The config's applications, keys hashed: the access store starts from them. */
  applications: Record<string, ApplicationState>
  jwt: ResolvedJwt | null
}

export interface ResolvedUpstreamTls {
  files: TlsFiles
  serverName: string | undefined
  verify: boolean
  /** The files' contents: read by loadConfigFile; null when the config was only parsed. */
  contents: TlsContents | null
}

export interface ResolvedRedact {
  drop: string[]
  hash: string[]
}

/** A problem at a path of the config; load.ts turns it into a ConfigError naming the file. */
export class ResolveError extends Error {
  constructor (readonly path: string, readonly reason: string) {
    super(reason)
  }
}

export function resolveAccess (a: AccessConfig | undefined, modelNames: readonly string[]): ResolvedAccess {
  const applications: Record<string, ApplicationState> = {}
  const owners = new Map<string, string>()
  const at = new Date().toISOString()
  for (const [name, app] of Object.entries(a?.applications ?? {})) {
    const path = `access.applications.${name}`
    applications[name] = { ...applicationSpec(path, app, modelNames), keys: resolveKeys(path, app, owners, name, at) }
  }
  return { enabled: a?.enabled ?? false, file: a?.file, applications, jwt: a?.jwt === undefined ? null : resolveJwt(a.jwt) }
}

/**
 * An application's scope, rights and quotas with defaults, checked: models
 * this gateway serves (or '*'), versions and quotas only for those models.
 * Used for the config and for the admin API.
 */
export function applicationSpec (path: string, app: Omit<ApplicationConfig, 'keys'>, modelNames: readonly string[]): Omit<ApplicationState, 'keys'> {
  app.models.forEach((m, i) => {
    if (m !== ANY && !modelNames.includes(m)) throw new ResolveError(`${path}.models[${i}]`, `names model "${m}", which this gateway does not serve`)
  })
  const all = app.models.includes(ANY)
  const may = (m: string): boolean => all || app.models.includes(m)
  for (const m of Object.keys(app.versions ?? {})) if (!may(m)) throw new ResolveError(`${path}.versions.${m}`, `names model "${m}", which is not in the application's models`)
  for (const m of Object.keys(app.quotas ?? {})) if (!may(m)) throw new ResolveError(`${path}.quotas.${m}`, `names model "${m}", which is not in the application's models`)
  const rights = [...new Set(app.rights ?? [])] as AccessRight[]
  return { models: [...new Set(app.models)], versions: { ...(app.versions ?? {}) }, rights, quota: quotaOf(app.quota), quotas: Object.fromEntries(Object.entries(app.quotas ?? {}).map(([m, q]) => [m, quotaOf(q)!])) }
}

function resolveKeys (path: string, app: ApplicationConfig, owners: Map<string, string>, name: string, at: string): KeyRecord[] {
  const keys: KeyRecord[] = []
  const names = new Set<string>()
  ;(app.keys ?? []).forEach((k, i) => {
    const where = `${path}.keys[${i}]`
    if ((k.hash === undefined) === (k.key === undefined)) throw new ResolveError(where, 'give either key or hash (sha256:<hex>), not both or neither')
    if (names.has(k.name)) throw new ResolveError(`${where}.name`, `key name "${k.name}" is used twice in this application`)
    names.add(k.name)
    const hash = k.hash ?? hashKey(k.key!)
    const other = owners.get(hash)
    if (other !== undefined) throw new ResolveError(where, `the same key is also given to application "${other}"; a key names one application`)
    owners.set(hash, name)
    keys.push({ id: keyId(hash), name: k.name, hash, createdAt: at, expiresAt: null })
  })
  return keys
}

function quotaOf (q: { rps: number, burst?: number } | undefined): Quota | null {
  return q === undefined ? null : { rps: q.rps, burst: q.burst ?? Math.max(1, Math.ceil(q.rps)) }
}

function resolveJwt (j: JwtConfig): ResolvedJwt {
  const sources = [j.jwksUrl, j.jwksFile, j.secret].filter(s => s !== undefined).length
  if (sources !== 1) throw new ResolveError('access.jwt', 'give exactly one key source: jwksUrl, jwksFile or secret')
  const algorithms = j.algorithms ?? (j.secret !== undefined ? ['HS256'] : DEFAULT_JWKS_ALGORITHMS)
  if (j.secret !== undefined && algorithms.some(a => !a.startsWith('HS'))) throw new ResolveError('access.jwt.algorithms', 'a shared secret verifies HS256, HS384 or HS512 only')
  if (j.secret === undefined && algorithms.some(a => a.startsWith('HS'))) throw new ResolveError('access.jwt.algorithms', 'HS* needs a shared secret (access.jwt.secret), not a JWKS')
  return {
    audience: typeof j.audience === 'string' ? [j.audience] : [...j.audience],
    issuer: j.issuer,
    jwksUrl: j.jwksUrl,
    jwksFile: j.jwksFile,
    secret: j.secret,
    algorithms,
    applicationClaim: j.applicationClaim ?? DEFAULT_JWT_APPLICATION_CLAIM,
    stickyClaim: j.stickyClaim,
    refreshMs: j.refreshMs ?? DEFAULT_JWKS_REFRESH_MS,
    clockToleranceS: j.clockToleranceS ?? DEFAULT_JWT_CLOCK_TOLERANCE_S
  }
}

export function resolveListenerTls (t: ListenerTlsConfig | undefined): TlsFiles | null {
  return t === undefined ? null : { cert: t.cert, key: t.key }
}

export function resolveUpstreamTls (path: string, t: UpstreamTlsConfig | undefined): ResolvedUpstreamTls | null {
  if (t === undefined) return null
  if ((t.cert === undefined) !== (t.key === undefined)) throw new ResolveError(path, 'cert and key go together: give both or neither')
  return { files: { ca: t.ca, cert: t.cert, key: t.key }, serverName: t.serverName, verify: t.verify ?? true, contents: null }
}

/** Reads the certificate files that models name for their replicas; a file that does not load is a config error. */
export async function readUpstreamTls (file: string, models: Record<string, { name: string, tls: ResolvedUpstreamTls | null }>): Promise<void> {
  for (const m of Object.values(models)) {
    if (m.tls === null) continue
    try {
      m.tls.contents = await readTlsFiles(m.tls.files)
    } catch (err) {
      if (err instanceof TlsFileError) throw new ConfigError(file, `models.${m.name}.tls${err.field === '' ? '' : `.${err.field}`}`, err.message)
      throw err
    }
  }
}

export function resolveRedact (r: RedactConfig | undefined): ResolvedRedact {
  return { drop: [...new Set(r?.drop ?? [])], hash: [...new Set(r?.hash ?? [])] }
}
