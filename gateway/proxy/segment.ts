/**
 * A request's segment (a region, a platform), for models that declare
 * segments: the value of a header, a cookie, or a request-level OIP parameter
 * (`parameters.<name>` in the JSON body), mapped onto the declared values; any
 * other value, or none, is segment "other". Models without segments pay
 * nothing; a parameter costs a JSON.parse of the body's JSON part, which only
 * models reading their segment from the body do.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { OTHER_SEGMENT, type ResolvedSegments } from '../config/load.js'
import { cookieValue } from './headers.js'
import { wholeBody, type RequestBody } from './request-body.js'

export function segmentOf (s: ResolvedSegments, headers: IncomingHttpHeaders, body: RequestBody | null, jsonLength: number): string {
  const raw = valueOf(s, headers, body, jsonLength)
  if (raw === undefined) return OTHER_SEGMENT
  for (const v of s.values) if (v === raw) return v
  return OTHER_SEGMENT
}

function valueOf (s: ResolvedSegments, headers: IncomingHttpHeaders, body: RequestBody | null, jsonLength: number): string | undefined {
  const { kind, name } = s.from
  if (kind === 'header') {
    const v = headers[name]
    return typeof v === 'string' ? v : v?.[0]
  }
  if (kind === 'cookie') return headers.cookie === undefined ? undefined : cookieValue(headers.cookie, name)
  if (body === null) return undefined
  const whole = wholeBody(body)
  try {
    const parsed = JSON.parse((jsonLength >= 0 ? whole.subarray(0, jsonLength) : whole).toString('utf8')) as { parameters?: Record<string, unknown> } | null
    const v = parsed?.parameters?.[name]
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined
  } catch {
    // Not JSON (validation off) or compressed: no segment to read.
    return undefined
  }
}
