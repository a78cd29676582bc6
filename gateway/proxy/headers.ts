/**
 * Header handling for the proxy: which request headers go upstream, which
 * response headers come back, and where the sticky key is read from.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { REQUEST_ID_HEADER, VERSION_HEADER, FALLBACK_HEADER } from '../config/defaults.js'

/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1) and those the proxy sets itself:
 * never forwarded. content-length is recomputed from the buffered body.
 */
const SKIP_REQUEST = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', REQUEST_ID_HEADER, 'expect'])
/** The gateway sets these itself on every response; a replica's own values would duplicate them. */
const SKIP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'date', VERSION_HEADER, REQUEST_ID_HEADER, FALLBACK_HEADER])

/**
 * Flat [name, value, …] list, the form undici takes without building another
 * object. `strip`: more headers the gateway consumed (a data-plane credential,
 * a traffic mark it did not honour).
 */
export function forwardHeaders (headers: IncomingHttpHeaders, requestId: string, strip?: ReadonlySet<string>): string[] {
  const out: string[] = [REQUEST_ID_HEADER, requestId]
  const named = connectionOptions(headers.connection)
  for (const name in headers) {
    if (SKIP_REQUEST.has(name) || (named !== undefined && named.includes(name)) || (strip !== undefined && strip.has(name))) continue
    const v = headers[name]
    if (v === undefined) continue
    if (typeof v === 'string') out.push(name, v)
    else for (const x of v) out.push(name, x)
  }
  return out
}

/** The upstream response headers to send on, as a flat [name, value, …] list for writeHead. */
export function responseHeaders (headers: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = []
  const named = connectionOptions(headers.connection)
  for (const name in headers) {
    if (SKIP_RESPONSE.has(name) || (named !== undefined && named.includes(name))) continue
    const v = headers[name]
    if (v === undefined) continue
    if (typeof v === 'string') out.push(name, v)
    else for (const x of v) out.push(name, x)
  }
  return out
}

/**
 * Field names listed in Connection are hop-by-hop too and must not be forwarded
 * (RFC 9110 section 7.6.1). The common values allocate nothing.
 */
function connectionOptions (v: string | string[] | undefined): string[] | undefined {
  if (v === undefined || v === 'keep-alive' || v === 'close') return undefined
  return (typeof v === 'string' ? v : v.join(',')).toLowerCase().split(',').map(s => s.trim())
}

export const MAX_STICKY_KEY_LENGTH = 512

/** The sticky key from the configured header or cookie; undefined when absent (then routing is weighted random). */
export function stickyKeyOf (headers: IncomingHttpHeaders, header: string | undefined, cookie: string | undefined): string | undefined {
  if (header !== undefined) {
    const v = headers[header]
    return stickyKeyFrom(typeof v === 'string' ? v : v?.[0], undefined, undefined)
  }
  return stickyKeyFrom(undefined, headers.cookie, cookie)
}

/**
 * The sticky key from what a transport read: the configured header's value, or
 * the cookie header and the configured cookie's name. gRPC metadata carries the
 * same names as REST headers, so one configuration serves both listeners.
 */
export function stickyKeyFrom (headerValue: string | undefined, cookieHeader: string | undefined, cookie: string | undefined): string | undefined {
  let key = headerValue
  if (key === undefined && cookie !== undefined && cookieHeader !== undefined) key = cookieValue(cookieHeader, cookie)
  if (key === undefined || key === '') return undefined
  return key.length > MAX_STICKY_KEY_LENGTH ? key.slice(0, MAX_STICKY_KEY_LENGTH) : key
}

/** Reads one cookie (RFC 6265 section 5.4 syntax) without parsing the others. */
export function cookieValue (header: string, name: string): string | undefined {
  let i = 0
  while (i < header.length) {
    while (header.charCodeAt(i) === 32) i++
    let end = header.indexOf(';', i)
    if (end === -1) end = header.length
    // A segment without '=' (browsers send valueless cookies) is skipped, not read past.
    const eq = header.indexOf('=', i)
    if (eq === -1) return undefined
    if (eq < end && eq - i === name.length && header.startsWith(name, i)) {
      let v = header.slice(eq + 1, end).trim()
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1)
      return v
    }
    i = end + 1
  }
  return undefined
}
