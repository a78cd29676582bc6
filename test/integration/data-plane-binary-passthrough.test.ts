import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js'
import { FRAUD_REQUEST } from '../support/oip.js'

// Binary tensor extension (OIP): a JSON header of N bytes, then raw tensor
// bytes. The gateway validates only the JSON part and passes every byte
// through untouched, on the request and on the response.

let upstream: RecordingUpstream
let gw: GatewayProcess

beforeAll(async () => {
  upstream = await startRecordingUpstream('echo')
  gw = await startGatewayProcess({
    models: { fraud: { versions: { v1: { replicas: [upstream.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, bodyLimitBytes: 4 * 1024 * 1024 } }
  })
})
afterAll(async () => {
  await gw?.stop()
  await upstream?.close()
})

describe('binary tensor extension', () => {
  it('passes a 1 MiB binary request to the model and its binary answer back byte for byte', async () => {
    const header = Buffer.from(FRAUD_REQUEST)
    const tensor = randomBytes(1024 * 1024)
    const body = Buffer.concat([header, tensor])
    const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) }, body })
    expect(res.status).toBe(200)
    const seen = upstream.seen.at(-1)!
    expect(seen.body.equals(body)).toBe(true)
    expect(seen.headers['inference-header-content-length']).toBe(String(header.length))
    expect(res.headers.get('inference-header-content-length')).toBe(String(header.length))
    expect(res.headers.get('x-model-version')).toBe('v1')
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true)
  })

  it('refuses a header length past the body with 400 GW_MALFORMED_BINARY before the model sees it', async () => {
    const before = upstream.seen.length
    const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'inference-header-content-length': '999999' }, body: FRAUD_REQUEST })
    expect(res.status).toBe(400)
    const body = await res.json() as { error: string, code: string }
    expect(body.code).toBe('GW_MALFORMED_BINARY')
    expect(body.error).toContain('999999')
    expect(upstream.seen.length).toBe(before)
  })
})
