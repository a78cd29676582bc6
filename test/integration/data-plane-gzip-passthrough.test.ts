import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'

// Compressed request bodies (Content-Encoding: gzip) go to the model as they
// came; to validate one, the gateway inflates it within the body limit.

const LIMIT = 32 * 1024
let upstream: RecordingUpstream
let gw: GatewayProcess

beforeAll(async () => {
  upstream = await startRecordingUpstream('echo')
  gw = await startGatewayProcess({
    models: { fraud: { versions: { v1: { replicas: [upstream.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, bodyLimitBytes: LIMIT } }
  })
})
afterAll(async () => {
  await gw?.stop()
  await upstream?.close()
})

describe('gzip request bodies', () => {
  it('reach the model compressed, byte for byte, with their content-encoding', async () => {
    const body = gzipSync(Buffer.from(FRAUD_REQUEST))
    const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body })
    expect(res.status).toBe(200)
    const seen = upstream.seen.at(-1)!
    expect(seen.headers['content-encoding']).toBe('gzip')
    expect(seen.body.equals(body)).toBe(true)
  })

  it('that inflate past the limit are refused with 413 GW_BODY_TOO_LARGE and never reach the model', async () => {
    const bomb = gzipSync(Buffer.from(`{"inputs":[],"pad":"${' '.repeat(LIMIT * 8)}"}`))
    expect(bomb.length).toBeLessThan(LIMIT)
    const before = upstream.seen.length
    const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: bomb })
    const err = await expectGatewayError(res, 413, 'GW_BODY_TOO_LARGE')
    expect(err.error).toContain('once decoded')
    expect(upstream.seen.length).toBe(before)
  })

  it('holding invalid JSON are refused with 400 GW_MALFORMED_JSON', async () => {
    const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(Buffer.from('{"inputs": [')) })
    await expectGatewayError(res, 400, 'GW_MALFORMED_JSON')
  })
})
