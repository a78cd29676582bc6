import { gzipSync, deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { buildRecord } from '../../gateway/observe/records.js'
import { inflateBounded } from '../../gateway/observe/record-body.js'
import type { RequestOutcome } from '../../gateway/observe/outcome.js'

// Issue 9: what a sampled record keeps of binary-tensor and compressed bodies.

const JSON_HEADER = '{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","parameters":{"binary_data_size":16}}]}'
const RAW = Buffer.from(new Float32Array([1.5, -2, 3.25, 4]).buffer)

function outcome (over: Partial<RequestOutcome>): RequestOutcome {
  return {
    requestId: 'r-1', model: 'fraud', version: 'v1', replica: 'http://m', release: 'v1>#1', status: 200, errorCode: null,
    startedAt: 1_900_000_000_123, totalMs: 3, upstreamMs: 2, fallback: false, stickyKey: undefined,
    requestBody: Buffer.from('{"inputs":[]}'), responseBody: Buffer.from('{"outputs":[]}'),
    traffic: 'live', kind: 'infer', requestHeaderLength: -1, requestEncoding: null, responseHeaderLength: -1,
    ...over
  }
}

describe('buildRecord bodies', () => {
  it('keeps only the JSON header of a binary-extension request and response, with the binary byte counts', () => {
    const body = Buffer.concat([Buffer.from(JSON_HEADER), RAW])
    const resHeader = '{"outputs":[{"name":"p","datatype":"FP32","shape":[1],"parameters":{"binary_data_size":4}}]}'
    const resBody = Buffer.concat([Buffer.from(resHeader), Buffer.from(new Float32Array([0.5]).buffer)])
    const r = buildRecord(outcome({ requestBody: body, requestHeaderLength: JSON_HEADER.length, responseBody: resBody, responseHeaderLength: resHeader.length }), 'gw', 1, true, 4096)
    expect(r.request_body).toBe(JSON_HEADER)
    expect(r.request_binary_bytes).toBe(16)
    expect(r.response_body).toBe(resHeader)
    expect(r.response_binary_bytes).toBe(4)
    expect(r.request_truncated).toBe(0)
    expect(JSON.parse(r.request_body)).toBeTruthy()
  })

  it('cuts a binary request\'s JSON header at the body limit and flags it, still never storing raw bytes', () => {
    const body = Buffer.concat([Buffer.from(JSON_HEADER), RAW])
    const r = buildRecord(outcome({ requestBody: body, requestHeaderLength: JSON_HEADER.length }), 'gw', 1, true, 20)
    expect(r.request_body).toBe(JSON_HEADER.slice(0, 20))
    expect(r.request_truncated).toBe(1)
    expect(r.request_binary_bytes).toBe(16)
  })

  it.each([['gzip', gzipSync], ['deflate', deflateSync]] as const)('stores the decoded JSON of a %s request and its encoding', (encoding, compress) => {
    const json = '{"inputs":[{"name":"amount","shape":[1],"datatype":"FP32","data":[12.5]}]}'
    const r = buildRecord(outcome({ requestBody: compress(Buffer.from(json)), requestEncoding: encoding }), 'gw', 1, true, 4096)
    expect(r.request_body).toBe(json)
    expect(r.request_encoding).toBe(encoding)
    expect(r.request_truncated).toBe(0)
  })

  it('stores a compressed body that inflates past the limit cut at the limit and flagged', () => {
    // 10 MB of JSON that compresses to about 10 KB: a decompression bomb for an unbounded inflate.
    const json = `{"inputs":[{"name":"x","shape":[1],"datatype":"BYTES","data":["${'a'.repeat(10_000_000)}"]}]}`
    const r = buildRecord(outcome({ requestBody: gzipSync(json), requestEncoding: 'gzip' }), 'gw', 1, true, 4096)
    expect(Buffer.byteLength(r.request_body)).toBeLessThanOrEqual(4096)
    expect(r.request_body.length).toBeGreaterThan(0)
    expect(json.startsWith(r.request_body)).toBe(true)
    expect(r.request_truncated).toBe(1)
  })

  it('inflates a bomb to at most the limit', () => {
    const out = inflateBounded(gzipSync(Buffer.alloc(50_000_000)), 'gzip', 1000)
    expect(out).not.toBeNull()
    expect(out!.data.length).toBeLessThanOrEqual(1000)
    expect(out!.cut).toBe(true)
  })

  it('decodes a gzip binary-extension request, then keeps its JSON header', () => {
    const body = gzipSync(Buffer.concat([Buffer.from(JSON_HEADER), RAW]))
    const r = buildRecord(outcome({ requestBody: body, requestEncoding: 'gzip', requestHeaderLength: JSON_HEADER.length }), 'gw', 1, true, 4096)
    expect(r.request_body).toBe(JSON_HEADER)
    expect(r.request_binary_bytes).toBe(16)
  })

  it('flags a body that is not valid gzip and stores nothing of it', () => {
    const r = buildRecord(outcome({ requestBody: Buffer.from('not gzip at all'), requestEncoding: 'gzip' }), 'gw', 1, true, 4096)
    expect(r.request_body).toBe('')
    expect(r.request_truncated).toBe(1)
  })

  it('stores no body without captureBodies', () => {
    const r = buildRecord(outcome({ requestBody: gzipSync('{"a":1}'), requestEncoding: 'gzip' }), 'gw', 1, false, 4096)
    expect(r.request_body).toBe('')
    expect(r.response_body).toBe('')
    expect(r.request_truncated).toBe(0)
  })

  it('marks batch traffic on the record', () => {
    expect(buildRecord(outcome({ traffic: 'batch' }), 'gw', 1, true, 4096).traffic).toBe('batch')
    expect(buildRecord(outcome({}), 'gw', 1, true, 4096).traffic).toBe('live')
  })
})
