import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Pool } from 'undici'
import { startModel, type ModelProcess } from '../support/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'

// /metrics is scraped and parsed: request counters match what was sent per
// version, label values stay bounded (unknown names collapse to "unknown"), and
// the endpoint needs a read token unless admin.metricsPublic is set.

const TOKEN = 'metrics-read-token-0123456789'
const REQUESTS = 300
const UNKNOWN_REQUESTS = 7
const BODY = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [620, 200, 7, 265] }] })

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
        healthCheck: { intervalMs: 500, timeoutMs: 300 }
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
    const pool = new Pool(gw.url, { connections: 8 })
    const seen = new Map<string, number>()
    try {
      let next = 0
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < REQUESTS) {
          const i = next++
          const res = await pool.request({ path: '/v2/models/fraud/infer', method: 'POST', body: BODY, headers: { 'content-type': 'application/json', 'x-user-id': `user-${i}` } })
          await res.body.dump()
          expect(res.statusCode).toBe(200)
          const v = res.headers['x-model-version'] as string
          seen.set(v, (seen.get(v) ?? 0) + 1)
        }
      }))
      for (let i = 0; i < UNKNOWN_REQUESTS; i++) {
        for (const path of [`/v2/models/no-such-model-${i}/infer`, `/v2/models/fraud/versions/no-such-version-${i}/infer`]) {
          const res = await pool.request({ path, method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } })
          await res.body.dump()
          expect(res.statusCode).toBe(404)
        }
      }
    } finally {
      await pool.close()
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

  it('needs a read token unless admin.metricsPublic is set', async () => {
    const denied = await fetch(`${gw.adminUrl!}/metrics`)
    expect(denied.status).toBe(401)
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('GW_UNAUTHORIZED')

    const open = await startGatewayProcess(config({ v1: [models[0]!.url], v2: [models[1]!.url] }, true))
    gateways.push(open)
    const res = await fetch(`${open.adminUrl!}/metrics`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('# TYPE model_gateway_requests_total counter')
    // Only /metrics is opened: the rest of the admin API still needs a token.
    expect((await fetch(`${open.adminUrl!}/admin/health`)).status).toBe(401)
  })
})
