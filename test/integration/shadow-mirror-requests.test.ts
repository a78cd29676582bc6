// What a mirrored request looks like on the wire. The shadow call reuses the
// primary's header list and body; it must still reach the shadow replica with
// the shadow header, the client's exact body and (for a body kept in chunks)
// its length, while the primary's request carries no shadow header. Checked on
// both ways of sending mirrors: on the replica's live connections (pipelining
// 1) and on the shadow's own pipelined connections (8), each starting with a
// burst of concurrent requests while no shadow connection is open yet.
import { randomBytes } from 'node:crypto'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startRecordingUpstream, type RecordingUpstream, type SeenRequest } from '../support/recording-upstream.js'
import { admin, TOKEN } from '../support/redis-fleet.js'
import { eventually } from '../support/eventually.js'
import { FRAUD_REQUEST } from '../support/oip.js'

const BURST = 48
const BINARY = 4

const posts = (u: RecordingUpstream, prefix: string): SeenRequest[] =>
  u.seen.filter(r => r.method === 'POST' && String(r.headers['x-request-id']).startsWith(prefix))

describe.each([1, 8])('mirrored requests with shadow.pipelining %i', (pipelining) => {
  let primary: RecordingUpstream
  let shadow: RecordingUpstream
  let gw: GatewayProcess

  beforeAll(async () => {
    primary = await startRecordingUpstream('echo')
    shadow = await startRecordingUpstream('echo')
    gw = await startGatewayProcess({
      admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
      shadow: { maxInFlight: 2 * BURST, pipelining },
      models: {
        fraud: {
          versions: { v1: { replicas: [primary.url] }, v2: { replicas: [shadow.url] } },
          release: { strategy: 'canary', stable: 'v1' },
          healthCheck: { enabled: false },
          outlierDetection: { enabled: false },
          bodyLimitBytes: 4 * 1024 * 1024
        }
      }
    })
    expect((await admin(gw, 'PUT', '/admin/models/fraud/shadow', { version: 'v2', weight: 10_000 })).status).toBe(200)
  }, 60_000)

  afterAll(async () => {
    await gw?.stop()
    await shadow?.close()
    await primary?.close()
  })

  it('a burst of concurrent JSON requests reaches the shadow once each with the shadow header and the client body; the primary requests carry no shadow header', async () => {
    const statuses = await Promise.all(Array.from({ length: BURST }, async (_, i) => {
      const res = await request(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': `json-${i}` }, body: FRAUD_REQUEST })
      await res.body.text()
      return res.statusCode
    }))
    expect(statuses).toEqual(Array(BURST).fill(200))
    const mirrored = await eventually(() => {
      const m = posts(shadow, 'json-')
      expect(m.length).toBe(BURST)
      return m
    }, { timeoutMs: 30_000 })
    expect(mirrored.map(r => r.headers['x-request-id']).sort()).toEqual(Array.from({ length: BURST }, (_, i) => `json-${i}`).sort())
    for (const r of mirrored) {
      expect(r.headers['x-gateway-shadow']).toBe('1')
      expect(r.path).toBe('/v2/models/fraud/infer')
      expect(r.body.toString()).toBe(FRAUD_REQUEST)
    }
    const live = posts(primary, 'json-')
    expect(live.length).toBe(BURST)
    expect(live.filter(r => r.headers['x-gateway-shadow'] !== undefined)).toEqual([])
  })

  it('concurrent 1 MiB binary requests are mirrored byte for byte with their length and the shadow header', async () => {
    const header = Buffer.from(FRAUD_REQUEST)
    const bodies = Array.from({ length: BINARY }, () => Buffer.concat([header, randomBytes(1024 * 1024)]))
    const statuses = await Promise.all(bodies.map(async (body, i) => {
      const res = await request(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length), 'x-request-id': `bin-${i}` }, body })
      await res.body.arrayBuffer()
      return res.statusCode
    }))
    expect(statuses).toEqual(Array(BINARY).fill(200))
    const mirrored = await eventually(() => {
      const m = posts(shadow, 'bin-')
      expect(m.length).toBe(BINARY)
      return m
    }, { timeoutMs: 30_000 })
    for (const r of mirrored) {
      const i = Number(String(r.headers['x-request-id']).slice('bin-'.length))
      expect(r.headers['x-gateway-shadow']).toBe('1')
      expect(r.headers['content-length']).toBe(String(bodies[i]!.length))
      expect(r.headers['inference-header-content-length']).toBe(String(header.length))
      expect(r.body.equals(bodies[i]!)).toBe(true)
    }
    expect(posts(primary, 'bin-').filter(r => r.headers['x-gateway-shadow'] !== undefined)).toEqual([])
  })
})
