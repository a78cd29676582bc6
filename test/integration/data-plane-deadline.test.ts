import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'

// One deadline per request: a model that keeps sending (each byte within the
// idle timeout) is still cut when the request's deadline passes, and the 504
// names that deadline.

const TIMEOUT_MS = 600
let upstream: RecordingUpstream
let gw: GatewayProcess

beforeAll(async () => {
  upstream = await startRecordingUpstream('trickle')
  gw = await startGatewayProcess({
    models: { fraud: { versions: { v1: { replicas: [upstream.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, timeouts: { requestMs: TIMEOUT_MS } } }
  })
})
afterAll(async () => {
  await gw?.stop()
  await upstream?.close()
})

describe('request deadline', () => {
  it('answers 504 GW_UPSTREAM_TIMEOUT naming the deadline when a response trickles past it', async () => {
    const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST })
    const err = await expectGatewayError(res, 504, 'GW_UPSTREAM_TIMEOUT')
    expect(err.error).toContain(`${TIMEOUT_MS} ms`)
    expect(res.headers.get('x-model-version')).toBe('v1')
  })
})
