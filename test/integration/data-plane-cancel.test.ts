import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js'
import { FRAUD_REQUEST } from '../support/oip.js'
import { eventually } from '../support/eventually.js'

// A client that goes away cancels the upstream call: the model sees its
// connection closed instead of working for nobody.

let upstream: RecordingUpstream
let gw: GatewayProcess

beforeAll(async () => {
  upstream = await startRecordingUpstream('hang')
  gw = await startGatewayProcess({
    models: { fraud: { versions: { v1: { replicas: [upstream.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, timeouts: { requestMs: 30_000 } } }
  })
})
afterAll(async () => {
  await gw?.stop()
  await upstream?.close()
})

describe('client disconnect', () => {
  it('closes the upstream request when the client aborts', async () => {
    const ac = new AbortController()
    const pending = fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST, signal: ac.signal }).catch((e: unknown) => e)
    await eventually(() => { expect(upstream.seen.length).toBe(1) })
    expect(upstream.seen[0]!.clientGone).toBe(false)
    ac.abort()
    await pending
    await eventually(() => { expect(upstream.seen[0]!.clientGone).toBe(true) })
    expect(gw.alive()).toBe(true)
  })
})
