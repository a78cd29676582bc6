import { gzipSync, deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { checkBody, type BodyInfo } from '../../gateway/proxy/oip-body.js'
import { GatewayError } from '../../gateway/errors.js'
import { FRAUD_REQUEST } from '../support/oip.js'

// What the gateway checks of an inference body: the JSON part of a binary
// tensor request, compressed bodies within the limit, and nothing else.

const LIMIT = 64 * 1024
const json = Buffer.from(FRAUD_REQUEST)
const binary = Buffer.concat([json, Buffer.from([0, 1, 2, 255, 254, 123, 34])])

async function check (body: Buffer, headers: Record<string, string>, validate = true): Promise<BodyInfo | GatewayError> {
  return checkBody(body, headers, 'fraud', LIMIT, validate)
}

function codeOf (r: BodyInfo | GatewayError): string {
  return r instanceof GatewayError ? r.code : 'ok'
}

describe('binary tensor extension', () => {
  it('validates only the JSON part: raw bytes after it (not JSON) pass', async () => {
    const r = await check(binary, { 'inference-header-content-length': String(json.length), 'content-type': 'application/octet-stream' })
    expect(r).toEqual({ jsonLength: json.length, encoding: null, decoded: null })
  })

  it('refuses a header length that is not a plain non-negative integer with GW_MALFORMED_BINARY', async () => {
    for (const v of ['-1', 'abc', '1e3', '12345678901']) {
      expect(codeOf(await check(binary, { 'inference-header-content-length': v }))).toBe('GW_MALFORMED_BINARY')
    }
  })

  it('refuses a header length past the end of the body with GW_MALFORMED_BINARY naming both lengths', async () => {
    const r = await check(binary, { 'inference-header-content-length': String(binary.length + 1) })
    expect(codeOf(r)).toBe('GW_MALFORMED_BINARY')
    expect((r as GatewayError).message).toContain(String(binary.length))
  })

  it('refuses a JSON part that is not JSON with GW_MALFORMED_JSON', async () => {
    const r = await check(binary, { 'inference-header-content-length': String(json.length + 3) })
    expect(codeOf(r)).toBe('GW_MALFORMED_JSON')
  })
})

describe('compressed bodies', () => {
  it('inflates gzip and deflate bodies to validate them, and hands the decoded body on', async () => {
    for (const [enc, body] of [['gzip', gzipSync(json)], ['deflate', deflateSync(json)]] as const) {
      const r = await check(body, { 'content-encoding': enc, 'content-type': 'application/json' })
      expect(r).toMatchObject({ jsonLength: -1, encoding: enc })
      expect((r as BodyInfo).decoded!.equals(json)).toBe(true)
    }
  })

  it('refuses a small body that inflates past the limit with GW_BODY_TOO_LARGE', async () => {
    const bomb = gzipSync(Buffer.alloc(LIMIT * 16, 0x20))
    expect(bomb.length).toBeLessThan(LIMIT)
    const r = await check(bomb, { 'content-encoding': 'gzip' })
    expect(codeOf(r)).toBe('GW_BODY_TOO_LARGE')
    expect((r as GatewayError).message).toContain('once decoded')
  })

  it('refuses bytes that are not gzip data with GW_BAD_REQUEST', async () => {
    expect(codeOf(await check(json, { 'content-encoding': 'gzip' }))).toBe('GW_BAD_REQUEST')
  })

  it('refuses an unknown content coding with GW_UNSUPPORTED_ENCODING', async () => {
    expect(codeOf(await check(json, { 'content-encoding': 'br' }))).toBe('GW_UNSUPPORTED_ENCODING')
  })

  it('validates the JSON part of a compressed binary-extension body', async () => {
    const r = await check(gzipSync(binary), { 'content-encoding': 'gzip', 'inference-header-content-length': String(json.length) })
    expect(r).toMatchObject({ jsonLength: json.length, encoding: 'gzip' })
  })
})

describe('with validation off', () => {
  it('neither parses nor inflates, but still refuses a malformed binary header', async () => {
    expect(await check(Buffer.from('not json'), { 'content-encoding': 'gzip' }, false)).toEqual({ jsonLength: -1, encoding: 'gzip', decoded: null })
    expect(codeOf(await check(binary, { 'inference-header-content-length': 'x' }, false))).toBe('GW_MALFORMED_BINARY')
  })
})
