/**
 * What of a request or response body a sampled record keeps:
 * - binary tensor extension (`Inference-Header-Content-Length: N`): only the
 *   N-byte JSON header, plus the length of the raw tensor bytes after it. Raw
 *   binary never goes into a record.
 * - a compressed request (`Content-Encoding: gzip | deflate`): the decoded JSON,
 *   inflated with zlib's maxOutputLength set to the record's body limit, so a
 *   small body that would inflate without bound costs at most that much; a body
 *   that inflates past the limit is stored cut and flagged.
 * - a model with `redact` fields: the JSON part is redacted whole first
 *   (redact.ts); one that cannot be read whole is not kept.
 * Everything is cut to the record's body limit (maxBodyBytes).
 */
import { gunzipSync, inflateSync, constants, type ZlibOptions } from 'node:zlib'
import type { Redactor } from './redact.js'

export interface BodyPart {
  /** The JSON (or text) kept, at most the body limit in UTF-8 bytes. */
  text: string
  /** Bytes of raw tensor data after the JSON header; 0 when none or unknown (see truncated). */
  binaryBytes: number
  /** The stored text is not the whole JSON part: cut at the limit, or a compressed body inflated past it or failed to decode. */
  truncated: boolean
}

const EMPTY: BodyPart = Object.freeze({ text: '', binaryBytes: 0, truncated: false })

/** Truncates a body to `max` bytes; a multi-byte character cut in half becomes U+FFFD. */
export function bodyText (body: Buffer | null, max: number): string {
  if (body === null || max === 0 || body.length === 0) return ''
  return (body.length > max ? body.subarray(0, max) : body).toString('utf8')
}

/** The part of a (decoded) body a record keeps, given the binary extension's header length (-1: none). */
export function jsonPart (body: Buffer | null, headerLength: number, max: number, cut = false, redactor: Redactor | null = null): BodyPart {
  if (body === null || body.length === 0) return cut ? { text: '', binaryBytes: 0, truncated: true } : EMPTY
  let json = body
  let binaryBytes = 0
  // A header length beyond the body is malformed (the gateway refuses it); keep the body as text, cut to the limit.
  if (headerLength >= 0 && headerLength <= body.length) {
    json = body.subarray(0, headerLength)
    // A cut decode does not know where the body ends, so the binary length is unknown.
    binaryBytes = cut ? 0 : body.length - headerLength
  }
  if (redactor !== null) {
    const redacted = cut ? null : redactor.apply(json)
    if (redacted === null) return { text: '', binaryBytes, truncated: true }
    json = redacted
  }
  return { text: bodyText(json, max), binaryBytes, truncated: cut || json.length > max }
}

/** The record's view of a request body: decoded within `max` when compressed, then the JSON part. */
export function requestPart (body: Buffer | null, headerLength: number, encoding: string | null, max: number, redactor: Redactor | null = null): BodyPart {
  if (max === 0 || body === null) return EMPTY
  if (encoding === null || encoding === 'identity') return jsonPart(body, headerLength, max, false, redactor)
  const decoded = inflateBounded(body, encoding, max)
  if (decoded === null) return { text: '', binaryBytes: 0, truncated: true }
  return jsonPart(decoded.data, headerLength, max, decoded.cut, redactor)
}

/** The record's view of a model's response body. */
export function responsePart (body: Buffer | null, headerLength: number, max: number, redactor: Redactor | null = null): BodyPart {
  if (max === 0 || body === null) return EMPTY
  return jsonPart(body, headerLength, max, false, redactor)
}

/**
 * Inflates at most `max` bytes. On a body that inflates past it, zlib stops
 * (ERR_BUFFER_TOO_LARGE) after about `max` bytes of output; a prefix of the
 * compressed input is then inflated instead, halving it until its output fits,
 * so the work stays within a few times `max` (log2 of the body's size tries).
 * null when the body is not valid gzip/deflate or the encoding is unknown.
 */
export function inflateBounded (body: Buffer, encoding: string, max: number): { data: Buffer, cut: boolean } | null {
  const fn = encoding === 'gzip' || encoding === 'x-gzip' ? gunzipSync : encoding === 'deflate' ? inflateSync : null
  if (fn === null) return null
  try {
    return { data: fn(body, { maxOutputLength: max }), cut: false }
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') return null
  }
  const partial: ZlibOptions = { maxOutputLength: max, finishFlush: constants.Z_SYNC_FLUSH }
  for (let k = body.length >> 1; k > 0; k >>= 1) {
    try {
      return { data: fn(body.subarray(0, k), partial), cut: true }
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') return { data: Buffer.alloc(0), cut: true }
    }
  }
  return { data: Buffer.alloc(0), cut: true }
}
