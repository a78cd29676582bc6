import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'
import { eventually } from '../support/eventually.js'

// Per-replica connection cap: with maxConnectionsPerReplica 1 and the one slot
// held by a request the model never answers, the next request waits at most
// queueTimeoutMs and is answered 503 GW_REPLICA_BUSY.

let upstream: RecordingUpstream
let gw: GatewayProcess

beforeAll(async () => {
  upstream = await startRecordingUpstream('hang')
  gw = await startGatewayProcess({
    models: { fraud: { versions: { v1: { replicas: [upstream.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, maxConnectionsPerReplica: 1, queueTimeoutMs: 200, timeouts: { requestMs: 20_000 } } }
  })
})
afterAll(async () => {
  await gw?.stop()
  await upstream?.close()
})

describe('connection cap', () => {
  it('answers 503 GW_REPLICA_BUSY when the replica stays at its cap past the queue timeout', async () => {
    const ac = new AbortController()
    const holder = fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST, signal: ac.signal }).catch((e: unknown) => e)
    await eventually(() => { expect(upstream.seen.length).toBe(1) })
    const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST })
    const err = await expectGatewayError(res, 503, 'GW_REPLICA_BUSY')
    expect(err.error).toContain('200 ms')
    expect(upstream.seen.length).toBe(1)
    ac.abort()
    await holder
  })

  it('serves the waiting request once the slot frees within the queue timeout', async () => {
    upstream.mode = 'echo'
    const results = await Promise.all([0, 1, 2].map(() => fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST }).then(r => r.status)))
    expect(results).toEqual([200, 200, 200])
  })
})
