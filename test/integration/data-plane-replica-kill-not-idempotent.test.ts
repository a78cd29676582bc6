import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'

// A model not declared idempotent: a request that reached a replica which then
// dies (SIGKILL, connection dropped before any response byte) may have been
// acted on, so it is answered 502 GW_UPSTREAM_UNAVAILABLE and not resent to
// the other replica. The other replica here is a server in this test that
// counts what it receives, so "not resent" is counted, not inferred.

const REQUESTS = 20
/** Requests on the slow replica stay in flight until it is killed. */
const SLOW_DELAY_MS = 20_000

let slow: ModelProcess
let counting: Server
const seenByCounting: string[] = []
let gw: GatewayProcess

beforeAll(async () => {
  slow = await startModel({ version: 'v1', delayMs: SLOW_DELAY_MS })
  counting = createServer((req, res) => {
    seenByCounting.push(String(req.headers['x-request-id']))
    req.resume()
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ model_name: 'fraud', model_version: 'v1', outputs: [{ name: 'score', shape: [1], datatype: 'FP64', data: [0.5] }] }))
    })
  })
  await new Promise<void>(resolve => counting.listen(0, '127.0.0.1', resolve))
  gw = await startGatewayProcess({
    admin: { metricsPublic: true },
    models: {
      fraud: {
        versions: { v1: { replicas: [slow.url, `http://127.0.0.1:${(counting.address() as AddressInfo).port}`] } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { enabled: false },
        outlierDetection: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await slow?.stop()
  await new Promise(resolve => counting?.close(resolve))
})

async function inFlight (): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl!}/metrics`)).text()
  const line = text.split('\n').find(l => l.startsWith('model_gateway_requests_in_flight{model="fraud",version="v1"}'))
  return Number(line?.split(' ').pop() ?? NaN)
}

describe('replica of a model without idempotent killed with requests in flight', () => {
  it('answers those requests 502 GW_UPSTREAM_UNAVAILABLE and does not resend them to the other replica', async () => {
    const answers = Array.from({ length: REQUESTS }, (_, i) => fetch(`${gw.url}/v2/models/fraud/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': `kill-${i}` },
      body: FRAUD_REQUEST
    }))
    // Both replicas got a share; the counting one answered its share at once and
    // the rest sit on the slow replica.
    await eventually(async () => {
      expect(seenByCounting.length).toBeGreaterThan(0)
      expect(await inFlight()).toBe(REQUESTS - seenByCounting.length)
    })
    const onSlow = REQUESTS - seenByCounting.length
    expect(onSlow).toBeGreaterThan(0)
    slow.kill('SIGKILL')

    const results = await Promise.all(answers)
    let ok = 0
    for (const res of results) {
      if (res.status === 200) {
        ok++
        await res.arrayBuffer()
      } else {
        const body = await expectGatewayError(res, 502, 'GW_UPSTREAM_UNAVAILABLE')
        expect(body).toMatchObject({ model: 'fraud', version: 'v1' })
      }
    }
    expect({ ok, failed: REQUESTS - ok }).toEqual({ ok: REQUESTS - onSlow, failed: onSlow })
    // Nothing was resent: the counting replica saw exactly the requests it answered.
    expect(seenByCounting).toHaveLength(ok)
    expect(gw.alive()).toBe(true)
  })
})
