// The client's answer never depends on the shadow: with the shadow version down
// or hung, every client request is answered 200 by the primary, and with it hung
// the answers all arrive while the shadow calls are still outstanding (at the
// in-flight bound; mirrors beyond it are dropped and counted). Both ways of
// sending mirrors: one per connection on the live pool (pipelining 1), and
// pipelined on the shadow's own connections (8).
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHungServer, startModel, type HungServer, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { closedPort } from '../support/ports.js'
import { admin, BODY, TOKEN } from '../support/redis-fleet.js'
import { metricValue, waitFor } from './pipeline-harness.js'

const MAX_IN_FLIGHT = 8
const REQUESTS = 40

describe.each([1, 8])('shadow isolation with shadow.pipelining %i', (pipelining) => {
  let gw: GatewayProcess
  let model: ModelProcess
  let hung: HungServer

  async function score (i: number, tag: string): Promise<{ status: number, version: string }> {
    const res = await request(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': `${tag}-${i}` }, body: BODY })
    await res.body.text()
    return { status: res.statusCode, version: String(res.headers['x-model-version']) }
  }

  async function scoreAll (tag: string): Promise<Array<{ status: number, version: string }>> {
    const out = []
    for (let i = 0; i < REQUESTS; i++) out.push(await score(i, tag))
    return out
  }

  const shadowMetric = (outcome: string): Promise<number> => metricValue(gw.adminUrl!, 'model_gateway_shadow_requests_total', `outcome="${outcome}"`)

  beforeAll(async () => {
    model = await startModel({ version: 'v1' })
    hung = await startHungServer()
    gw = await startGatewayProcess({
      admin: { metricsPublic: true, tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
      shadow: { maxInFlight: MAX_IN_FLIGHT, timeoutMs: 60_000, pipelining },
      models: {
        fraud: {
          versions: { v1: { replicas: [model.url] }, down: { replicas: [`http://127.0.0.1:${await closedPort()}`] }, hung: { replicas: [hung.url] } },
          release: { strategy: 'canary', stable: 'v1' },
          healthCheck: { enabled: false },
          outlierDetection: { enabled: false }
        }
      }
    })
  }, 60_000)

  afterAll(async () => {
    await gw?.stop()
    await hung?.close()
    await model?.stop()
  })

  it('a shadow version that is down causes no client-visible error', async () => {
    expect((await admin(gw, 'PUT', '/admin/models/fraud/shadow', { version: 'down', weight: 10_000 })).status).toBe(200)
    const answers = await scoreAll('down')
    expect(answers.filter(a => a.status !== 200)).toEqual([])
    expect(new Set(answers.map(a => a.version))).toEqual(new Set(['v1']))
    // Every mirror was sent and failed (connection refused), none reached a client.
    await waitFor('failed shadow calls', () => shadowMetric('failed'), n => n === REQUESTS, 10_000)
    expect(await shadowMetric('mirrored')).toBe(REQUESTS)
  })

  it('with the shadow version hung, every client answer arrives while the shadow calls are still outstanding', async () => {
    expect((await admin(gw, 'PUT', '/admin/models/fraud/shadow', { version: 'hung', weight: 10_000 })).status).toBe(200)
    const answers = await scoreAll('hung')
    expect(answers.filter(a => a.status !== 200)).toEqual([])
    // The shadow calls time out after 60 s: right now they are all still waiting on the hung server.
    expect(await metricValue(gw.adminUrl!, 'model_gateway_shadow_inflight')).toBe(MAX_IN_FLIGHT)
    // One connection per call on the live pool; pipelined, the calls share connections (one opening while
    // none was open yet takes one call), so never more connections than calls.
    if (pipelining === 1) expect(hung.connections()).toBe(MAX_IN_FLIGHT)
    else expect(hung.connections()).toBeGreaterThanOrEqual(1)
    expect(hung.connections()).toBeLessThanOrEqual(MAX_IN_FLIGHT)
    expect(await shadowMetric('mirrored')).toBe(REQUESTS + MAX_IN_FLIGHT)
    expect(await shadowMetric('dropped')).toBe(REQUESTS - MAX_IN_FLIGHT)
    expect(gw.stderr()).toContain('shadow calls at their in-flight bound: mirrors dropped')
  })
})
