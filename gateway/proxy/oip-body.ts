/**
 * What the gateway checks of an inference body before a model sees it, per the
 * Open Inference Protocol:
 * - binary tensor extension: `Inference-Header-Content-Length: N` means the
 *   first N bytes are the JSON inference header and the rest is raw tensor
 *   data. Only the JSON part is validated; the bytes pass through untouched.
 * - `Content-Encoding: gzip | deflate`: the body is forwarded as it came; to
 *   validate it, the gateway inflates it within the model's body limit, so a
 *   small compressed body cannot expand without bound.
 * The common case (plain JSON, no extension) allocates nothing here and
 * answers synchronously.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { promisify } from 'node:util'
import { gunzip, inflate, type InputType, type ZlibOptions } from 'node:zlib'
import { errors, GatewayError } from '../errors.js'
import { jsonSyntaxError } from './json-check.js'
import { bodyLength, ChunkedBody, wholeBody, type RequestBody } from './request-body.js'

export const BINARY_HEADER = 'inference-header-content-length'

export type Encoding = 'gzip' | 'deflate'

/** What the body turned out to be; `decoded` is set when the gateway inflated it. */
export interface BodyInfo {
  /** Length of the JSON part when the binary extension is used, else -1. */
  readonly jsonLength: number
  readonly encoding: Encoding | null
  readonly decoded: Buffer | null
}

export type BodyCheck = BodyInfo | GatewayError

const PLAIN: BodyInfo = Object.freeze({ jsonLength: -1, encoding: null, decoded: null })
const gunzipAsync = promisify<InputType, ZlibOptions, Buffer>(gunzip)
const inflateAsync = promisify<InputType, ZlibOptions, Buffer>(inflate)

/** The value of the binary-extension header: -1 when absent, NaN when not a plain non-negative integer. */
export function binaryHeaderLength (v: string | string[] | undefined): number {
  if (v === undefined) return -1
  return typeof v === 'string' && /^\d{1,10}$/.test(v.trim()) ? Number(v.trim()) : NaN
}

function encodingOf (v: string | undefined): Encoding | null | undefined {
  if (v === undefined) return null
  const e = v.trim().toLowerCase()
  if (e === '' || e === 'identity') return null
  if (e === 'gzip' || e === 'x-gzip') return 'gzip'
  if (e === 'deflate') return 'deflate'
  return undefined
}

/**
 * Checks a body for `model`. Returns what it found, or the error to answer with.
 * `validate` off: nothing is parsed or inflated (the gateway is a pipe), but a
 * malformed binary header is still refused, since the records rely on it.
 * Synchronous unless it must inflate: an `await` of a settled value still costs
 * a microtask turn on every request, so only compressed bodies get a Promise.
 */
export function checkBody (body: RequestBody, headers: IncomingHttpHeaders, model: string, limit: number, validate: boolean): BodyCheck | Promise<BodyCheck> {
  const jsonLength = binaryHeaderLength(headers[BINARY_HEADER])
  if (Number.isNaN(jsonLength)) return new GatewayError('GW_MALFORMED_BINARY', { model, detail: `${BINARY_HEADER} must be a non-negative integer number of bytes` })
  const encoding = encodingOf(headers['content-encoding'])
  if (!validate) return jsonLength === -1 && (encoding === null || encoding === undefined) ? PLAIN : { jsonLength, encoding: encoding ?? null, decoded: null }
  if (encoding === undefined) return new GatewayError('GW_UNSUPPORTED_ENCODING', { detail: headers['content-encoding'] })
  if (encoding === null) return jsonLength === -1 && !isJson(headers['content-type']) ? PLAIN : checkPlain(body, null, jsonLength, model)
  return inflated(wholeBody(body), encoding, jsonLength, model, limit)
}

async function inflated (body: Buffer, encoding: Encoding, jsonLength: number, model: string, limit: number): Promise<BodyCheck> {
  let decoded: Buffer
  try {
    decoded = await (encoding === 'gzip' ? gunzipAsync : inflateAsync)(body, { maxOutputLength: limit })
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return errors.bodyTooLarge(limit, model, `once decoded (${encoding})`)
    return errors.badRequest(`request body for model "${model}" is not valid ${encoding} data`)
  }
  return checkPlain(decoded, encoding, jsonLength, model)
}

/** Validates the JSON part of a plain (or already inflated: `encoding` set) body. */
function checkPlain (plain: RequestBody, encoding: Encoding | null, jsonLength: number, model: string): BodyCheck {
  const length = bodyLength(plain)
  if (jsonLength > length) {
    return new GatewayError('GW_MALFORMED_BINARY', { model, detail: `${BINARY_HEADER} is ${jsonLength} but the body has ${length} bytes` })
  }
  // The binary extension needs only the JSON part in one piece, never the tensor bytes.
  const json = jsonLength === -1 ? wholeBody(plain) : plain instanceof ChunkedBody ? plain.head(jsonLength) : plain.subarray(0, jsonLength)
  const at = jsonSyntaxError(json)
  if (at !== -1) {
    const what = jsonLength === -1 ? '' : `the JSON part (first ${jsonLength} bytes): `
    return new GatewayError('GW_MALFORMED_JSON', { model, detail: what + (json.length === 0 ? 'the body is empty' : describeJsonError(json, at)) })
  }
  return jsonLength === -1 && encoding === null ? PLAIN : { jsonLength, encoding, decoded: encoding === null ? null : plain as Buffer }
}

/** JSON is validated when the client says it is JSON, or says nothing. */
function isJson (contentType: string | undefined): boolean {
  return contentType === undefined || contentType.includes('json')
}

/** Where JSON stops, with a short excerpt so the client can find it. */
function describeJsonError (body: Buffer, at: number): string {
  if (at >= body.length) return `the body ends at byte ${body.length} before the JSON is complete`
  const excerpt = body.subarray(Math.max(0, at - 10), at + 10).toString('utf8').replace(/[^\x20-\x7e]/g, '?')
  return `unexpected character at byte ${at} (near ${JSON.stringify(excerpt)})`
}
