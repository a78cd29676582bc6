import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'
import { eventually } from '../support/eventually.js'

// Load shedding by requests in progress: with gateway.overload.maxInFlight 2 and
// two requests held by a model that does not answer, the third is refused at
// once with 503 GW_OVERLOADED and Retry-After, without reaching the model.

let upstream: RecordingUpstream
let gw: GatewayProcess

beforeAll(async () => {
  upstream = await startRecordingUpstream('hang')
  gw = await startGatewayProcess({
    gateway: { overload: { maxInFlight: 2, retryAfterS: 3 } },
    admin: { metricsPublic: true },
    models: { fraud: { versions: { v1: { replicas: [upstream.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, timeouts: { requestMs: 20_000 } } }
  })
})
afterAll(async () => {
  await gw?.stop()
  await upstream?.close()
})

const infer = (signal?: AbortSignal): Promise<Response> => fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST, signal })

describe('overload shedding by requests in progress', () => {
  it('answers 503 GW_OVERLOADED with Retry-After to a request past maxInFlight, counts it in requests_shed_total, and the model never sees it', async () => {
    const ac = new AbortController()
    const held = [infer(ac.signal).catch((e: unknown) => e), infer(ac.signal).catch((e: unknown) => e)]
    await eventually(() => { expect(upstream.seen.length).toBe(2) })
    const res = await infer()
    expect(res.headers.get('retry-after')).toBe('3')
    const err = await expectGatewayError(res, 503, 'GW_OVERLOADED')
    expect(err.error).toContain('2 requests in progress, limit 2')
    expect(upstream.seen.length).toBe(2)
    const metrics = await (await fetch(`${gw.adminUrl!}/metrics`)).text()
    expect(metrics).toMatch(/^model_gateway_requests_shed_total 1$/m)
    ac.abort()
    await Promise.all(held)
  })

  it('admits requests again once those in progress end', async () => {
    upstream.mode = 'echo'
    await eventually(async () => { expect((await infer()).status).toBe(200) })
  })
})
