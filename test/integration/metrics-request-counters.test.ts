import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { runLoad } from '../support/load.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'

// /metrics is scraped and parsed: request counters match what was sent per
// version, label values stay bounded (unknown names collapse to "unknown"), and
// the endpoint needs a read token unless admin.metricsPublic is set.

const TOKEN = 'metrics-read-token-0123456789'
const REQUESTS = 300
const UNKNOWN_REQUESTS = 7

type Samples = Map<string, number>

/** Prometheus text format -> "name{labels}" -> value (labels as printed). */
function parse (text: string): Samples {
  const out: Samples = new Map()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const i = line.lastIndexOf(' ')
    out.set(line.slice(0, i), Number(line.slice(i + 1)))
  }
  return out
}

function config (replicas: { v1: string[], v2: string[] }, metricsPublic: boolean): object {
  return {
    admin: { metricsPublic, tokens: [{ name: 'dash', token: TOKEN, role: 'read' }] },
    models: {
      fraud: {
        sticky: { header: 'x-user-id' },
        versions: { v1: { replicas: replicas.v1 }, v2: { replicas: replicas.v2 } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 3000 },
        healthCheck: { intervalMs: 1_000, timeoutMs: 900 }
      }
    }
  }
}

describe('metrics', () => {
  const models: ModelProcess[] = []
  const gateways: GatewayProcess[] = []
  let gw: GatewayProcess

  beforeAll(async () => {
    models.push(...await Promise.all([startModel({ version: 'v1' }), startModel({ version: 'v2' })]))
    gw = await startGatewayProcess(config({ v1: [models[0]!.url], v2: [models[1]!.url] }, false))
    gateways.push(gw)
  })
  afterAll(async () => {
    await Promise.all(gateways.map(g => g.stop()))
    await Promise.all(models.map(m => m.stop()))
  })

  it('counts requests per version exactly as the clients saw them', async () => {
    // On a loaded machine a first probe can time out; count only once both replicas passed one.
    await eventually(async () => {
      const m = parse(await (await fetch(`${gw.adminUrl!}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text())
      for (const model of models) expect(m.get(`model_gateway_replica_healthy{model="fraud",version="${model.version}",replica="${model.url}"}`)).toBe(1)
    })
    const load = await runLoad({ url: gw.url, maxRequests: REQUESTS, maxMs: 60_000, request: i => ({ headers: { 'x-user-id': `user-${i}` } }) })
    expect(load.statuses).toEqual({ 200: REQUESTS })
    const seen = new Map(Object.entries(load.versions))
    for (let i = 0; i < UNKNOWN_REQUESTS; i++) {
      const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST }
      await expectGatewayError(await fetch(`${gw.url}/v2/models/no-such-model-${i}/infer`, post), 404, 'GW_UNKNOWN_MODEL')
      await expectGatewayError(await fetch(`${gw.url}/v2/models/fraud/versions/no-such-version-${i}/infer`, post), 404, 'GW_UNKNOWN_VERSION')
    }
    expect((seen.get('v1') ?? 0) + (seen.get('v2') ?? 0)).toBe(REQUESTS)
    expect(seen.get('v2') ?? 0).toBeGreaterThan(0)
    const res = await fetch(`${gw.adminUrl!}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const m = parse(await res.text())
    for (const v of ['v1', 'v2']) {
      expect(m.get(`model_gateway_requests_total{model="fraud",version="${v}",status_class="2xx"}`)).toBe(seen.get(v))
      expect(m.get(`model_gateway_request_duration_seconds_count{model="fraud",version="${v}"}`)).toBe(seen.get(v))
      expect(m.get(`model_gateway_upstream_duration_seconds_count{model="fraud",version="${v}"}`)).toBe(seen.get(v))
      expect(m.get(`model_gateway_requests_in_flight{model="fraud",version="${v}"}`)).toBe(0)
    }
    // Unknown names never become label values.
    expect(m.get('model_gateway_requests_total{model="fraud",version="unknown",status_class="4xx"}')).toBe(UNKNOWN_REQUESTS)
    expect([...m.keys()].some(k => k.includes('no-such-'))).toBe(false)
    expect(m.get(`model_gateway_replica_healthy{model="fraud",version="v1",replica="${models[0]!.url}"}`)).toBe(1)
    expect(m.get(`model_gateway_replica_ejected{model="fraud",version="v2",replica="${models[1]!.url}"}`)).toBe(0)
    expect(m.get('model_gateway_health_check_duration_seconds_count{model="fraud",version="v1",result="ok"}')).toBeGreaterThanOrEqual(1)
    expect([...m.keys()].some(k => k.startsWith('model_gateway_process_cpu_user_seconds_total'))).toBe(true)
  })

  it('answers /metrics 401 GW_UNAUTHORIZED without a token, and 200 without one when admin.metricsPublic is set (other admin routes still 401)', async () => {
    const denied = await fetch(`${gw.adminUrl!}/metrics`)
    await expectGatewayError(denied, 401, 'GW_UNAUTHORIZED')

    const open = await startGatewayProcess(config({ v1: [models[0]!.url], v2: [models[1]!.url] }, true))
    gateways.push(open)
    const res = await fetch(`${open.adminUrl!}/metrics`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('# TYPE model_gateway_requests_total counter')
    // Only /metrics is opened: the rest of the admin API still needs a token.
    expect((await fetch(`${open.adminUrl!}/admin/health`)).status).toBe(401)
  })
})
