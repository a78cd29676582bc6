/**
 * Name rules shared by the config schema and the admin operations, so a version
 * registered at runtime can be named in a config file too.
 */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'
export const NAME_RE = new RegExp(NAME_PATTERN)
/** http(s): the REST protocol; grpc(s): gRPC (h2c, or TLS with grpcs). */
export const REPLICA_URL_PATTERN = '^(https?|grpcs?)://[^\\s/]+(/[^\\s]*)?$'
export const REPLICA_URL_RE = new RegExp(REPLICA_URL_PATTERN)
/** Replicas one version may list. */
export const MAX_REPLICAS = 256

/** A replica base URL: the pattern, and a parse that the pattern alone cannot promise (e.g. host 127.1.0.256). */
export function isReplicaUrl (url: string): boolean {
  if (!REPLICA_URL_RE.test(url)) return false
  try {
    new URL(url)
    return true
  } catch {
    return false
  }
}

/** How the gateway talks to a replica, told by its URL's scheme. */
export type Transport = 'rest' | 'grpc'

export function transportOf (url: string): Transport {
  return url.startsWith('grpc') ? 'grpc' : 'rest'
}
