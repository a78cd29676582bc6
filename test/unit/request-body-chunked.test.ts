import { randomBytes } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { ChunkedBody, joinOnRead } from '../../gateway/proxy/request-body.js'
import { checkBody } from '../../gateway/proxy/oip-body.js'
import { GatewayError } from '../../gateway/errors.js'
import { FRAUD_REQUEST } from '../support/oip.js'

// A body that arrived in several socket chunks stays in chunks (no copy of the
// whole body) and is checked, joined and recorded as if it were one Buffer.

const LIMIT = 4 * 1024 * 1024

function chunked (whole: Buffer, size: number): ChunkedBody {
  const chunks: Buffer[] = []
  for (let at = 0; at < whole.length; at += size) chunks.push(whole.subarray(at, at + size))
  return new ChunkedBody(chunks, whole.length)
}

describe('ChunkedBody', () => {
  const whole = randomBytes(1000)
  const body = chunked(whole, 64)

  it('joins to the bytes it was made of', () => {
    expect(body.join().equals(whole)).toBe(true)
  })

  it('returns the first n bytes within the first chunk and across chunk boundaries', () => {
    for (const n of [0, 1, 63, 64, 65, 200, 1000]) expect(body.head(n).equals(whole.subarray(0, n))).toBe(true)
  })
})

describe('checkBody on a chunked body', () => {
  const header = Buffer.from(FRAUD_REQUEST)
  const binary = Buffer.concat([header, randomBytes(256 * 1024)])
  const binaryHeaders = { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) }

  it('validates a binary request whose JSON part spans chunks, without joining the body', () => {
    const body = chunked(binary, 16)
    const r = checkBody(body, binaryHeaders, 'fraud', LIMIT, true)
    expect(r).toEqual({ jsonLength: header.length, encoding: null, decoded: null })
    expect(body.joined).toBeNull()
  })

  it('refuses a binary request whose chunked JSON part is not JSON with GW_MALFORMED_JSON', () => {
    const bad = Buffer.concat([Buffer.from('{"inputs": ]'), randomBytes(100_000)])
    const r = checkBody(chunked(bad, 5), { 'inference-header-content-length': '12' }, 'fraud', LIMIT, true)
    expect(r instanceof GatewayError ? r.code : 'ok').toBe('GW_MALFORMED_JSON')
  })

  it('refuses a header length past the end of a chunked body with GW_MALFORMED_BINARY', () => {
    const r = checkBody(chunked(binary, 65_536), { 'inference-header-content-length': String(binary.length + 1) }, 'fraud', LIMIT, true)
    expect(r instanceof GatewayError ? r.code : 'ok').toBe('GW_MALFORMED_BINARY')
  })

  it('validates a plain JSON body that arrived in chunks, and refuses a broken one', () => {
    const json = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [1, 20_000], datatype: 'FP32', data: Array.from({ length: 20_000 }, (_, i) => i / 7) }] }))
    expect(checkBody(chunked(json, 65_536), { 'content-type': 'application/json' }, 'fraud', LIMIT, true)).toEqual({ jsonLength: -1, encoding: null, decoded: null })
    const broken = chunked(json.subarray(0, json.length - 1), 65_536)
    const r = checkBody(broken, { 'content-type': 'application/json' }, 'fraud', LIMIT, true)
    expect(r instanceof GatewayError ? r.code : 'ok').toBe('GW_MALFORMED_JSON')
  })

  it('inflates a gzip body that arrived in chunks', async () => {
    const plain = Buffer.from(FRAUD_REQUEST)
    const r = await checkBody(chunked(gzipSync(plain), 7), { 'content-encoding': 'gzip' }, 'fraud', LIMIT, true)
    expect(r instanceof GatewayError ? r.code : r.decoded?.equals(plain)).toBe(true)
  })

  it('answers a plain JSON body synchronously, not with a Promise', () => {
    expect(checkBody(Buffer.from(FRAUD_REQUEST), { 'content-type': 'application/json' }, 'fraud', LIMIT, true)).not.toBeInstanceOf(Promise)
  })
})

describe('joinOnRead', () => {
  it('joins the body only when requestBody is read, and lets an assignment replace it', () => {
    const whole = randomBytes(300)
    const body = chunked(whole, 100)
    const outcome: { requestBody: Buffer | null } = { requestBody: null }
    joinOnRead(outcome, body)
    expect(body.joined).toBeNull()
    expect(outcome.requestBody?.equals(whole)).toBe(true)
    const decoded = Buffer.from('{}')
    outcome.requestBody = decoded
    expect(outcome.requestBody).toBe(decoded)
  })
})
