import { createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { backgroundLoad, fastPlan, startRollout, startSetup, TOKEN, waitForRollout, warm, type ReleaseSetup } from './release-harness.js'
import { eventually } from '../support/eventually.js'

// A webhook receiver on loopback that refuses its first delivery (500): the
// gateway retries it, then sends every rollout change in order, each signed
// with HMAC-SHA256 of the body; /metrics shows the rollout's state.

const SECRET = 'webhook-secret-0123456789abcdef'
interface Received { status: number, delivery: string, type: string, signature: string, body: string }
const received: Received[] = []
let receiver: Server
let s: ReleaseSetup

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8').on('data', (c: string) => { body += c }).on('end', () => {
      const status = received.length === 0 ? 500 : 204
      received.push({ status, delivery: String(req.headers['x-model-gateway-delivery']), type: String(req.headers['x-model-gateway-event']), signature: String(req.headers['x-model-gateway-signature']), body })
      res.writeHead(status).end()
    })
  })
  await new Promise<void>(resolve => receiver.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`
  s = await startSetup({}, 0, { rollouts: { webhooks: [{ url, secret: SECRET, events: ['rollout'] }] } })
})
afterAll(async () => {
  await s?.stop()
  await new Promise(resolve => receiver.close(resolve))
})

describe('events out', () => {
  it('every rollout change reaches the webhook in order, signed, the refused first delivery retried; /metrics shows the rollout', { timeout: 90_000 }, async () => {
    const load = backgroundLoad(s.gw.url)
    try {
      await warm(load)
      expect((await startRollout(s.gw, fastPlan())).status).toBe(201)
      await waitForRollout(s.gw, r => r.status !== 'running')
    } finally {
      await load.stop()
    }
    await eventually(() => { expect(received.filter(r => r.status === 204).map(r => r.type)).toEqual(['rollout.start', 'rollout.advance', 'rollout.promote']) }, { timeoutMs: 20_000 })
    expect(received[0]!.status).toBe(500)
    expect(received[1]!.delivery).toBe(received[0]!.delivery)
    for (const r of received) expect(r.signature).toBe(`sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`)
    const promote = JSON.parse(received.at(-1)!.body)
    expect(promote).toMatchObject({ event: 'rollout', type: 'rollout.promote', model: 'fraud', version: 'v3', status: 'promoted' })
    expect(promote.checks.map((c: { check: string, verdict: string }) => `${c.check}:${c.verdict}`)).toEqual(['errors:pass', 'latency:pass', 'outputs:pass'])

    const metrics = await (await request(`${s.gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).body.text()
    expect(metrics).toContain('model_gateway_rollout_phase{model="fraud",version="v3",phase="promoted"} 1')
    expect(metrics).toContain('model_gateway_rollout_weight_bp{model="fraud",version="v3"} 10000')
    expect(metrics).toContain('model_gateway_rollout_check_verdict{model="fraud",version="v3",check="errors"} 1')
    expect(metrics).toContain('model_gateway_webhook_events_total{event="rollout",outcome="retried"} 1')
    expect(metrics).toContain('model_gateway_webhook_events_total{event="rollout",outcome="delivered"} 3')
    expect(metrics).toMatch(/model_gateway_holdback_remaining_seconds\{model="fraud",version="v1"\} \d+/)
  })
})
