// Bad admin input gets the right 4xx with a code naming what was wrong, and
// never changes the routing state.
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'

const ADMIN = 'control-admin-token-0123456789'
const READ = 'control-read-token-0123456789'

interface Answer { status: number, json: { revision?: number, error?: string, code?: string } }

async function call (gw: GatewayProcess, method: string, path: string, opts: { body?: string, token?: string | null, headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers }
  const token = opts.token === undefined ? ADMIN : opts.token
  if (token !== null) headers.authorization = `Bearer ${token}`
  if (opts.body !== undefined) headers['content-type'] ??= 'application/json'
  const res = await request(`${gw.adminUrl}${path}`, { method: method as 'GET', headers, body: opts.body })
  return { status: res.statusCode, json: await res.body.json() as Answer['json'] }
}

describe('control plane: bad admin input', () => {
  let gw: GatewayProcess | undefined

  beforeAll(async () => {
    gw = await startGatewayProcess({
      admin: { tokens: [{ name: 'ops', token: ADMIN, role: 'admin' }, { name: 'dash', token: READ, role: 'read' }] },
      models: {
        fraud: {
          versions: { v1: { replicas: ['http://127.0.0.1:9'] }, v2: { replicas: ['http://127.0.0.1:10'] } },
          release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 1000 },
          healthCheck: { enabled: false }
        }
      }
    }, { env: { LOG_LEVEL: 'warn' } })
    // Revision 2, so a stale revision (1) is distinguishable from the current one.
    expect((await call(gw, 'PUT', '/admin/models/fraud/split', { body: JSON.stringify({ weights: { v1: 8000, v2: 2000 } }) })).status).toBe(200)
  })

  afterAll(async () => {
    await gw?.stop()
  })

  const split = (body: unknown): { body: string } => ({ body: JSON.stringify(body) })
  it.each([
    ['unknown model', 'PUT', '/admin/models/nope/split', split({ weights: { v1: 10000 } }), 404, 'GW_UNKNOWN_MODEL'],
    ['unknown version in weights', 'PUT', '/admin/models/fraud/split', split({ weights: { v1: 9000, v9: 1000 } }), 404, 'GW_UNKNOWN_VERSION'],
    ['weights not adding up', 'PUT', '/admin/models/fraud/split', split({ weights: { v1: 9000, v2: 2000 } }), 400, 'GW_INVALID_ARGUMENT'],
    ['negative weight', 'PUT', '/admin/models/fraud/split', split({ weights: { v1: 11000, v2: -1000 } }), 400, 'GW_INVALID_ARGUMENT'],
    ['fractional weight', 'PUT', '/admin/models/fraud/split', split({ weights: { v1: 9000.5, v2: 999.5 } }), 400, 'GW_INVALID_ARGUMENT'],
    ['weights as a string', 'PUT', '/admin/models/fraud/split', split({ weights: 'v1=100' }), 400, 'GW_INVALID_ARGUMENT'],
    ['unknown field', 'PUT', '/admin/models/fraud/split', split({ weights: { v1: 10000 }, dryRun: true }), 400, 'GW_INVALID_ARGUMENT'],
    ['malformed JSON', 'PUT', '/admin/models/fraud/split', { body: '{"weights": {' }, 400, 'GW_INVALID_ARGUMENT'],
    ['stale revision in the body', 'PUT', '/admin/models/fraud/split', split({ weights: { v1: 10000 }, revision: 1 }), 409, 'GW_CONFLICT'],
    ['stale If-Match', 'POST', '/admin/models/fraud/rollback', { body: '{}', headers: { 'if-match': '"1"' } }, 409, 'GW_CONFLICT'],
    ['If-Match that is not a revision', 'POST', '/admin/models/fraud/rollback', { body: '{}', headers: { 'if-match': 'abc' } }, 400, 'GW_INVALID_ARGUMENT'],
    ['canary of the stable version', 'POST', '/admin/models/fraud/canary', split({ version: 'v1', weight: 500 }), 400, 'GW_INVALID_ARGUMENT'],
    ['canary weight above 100%', 'POST', '/admin/models/fraud/canary', split({ version: 'v2', weight: 10001 }), 400, 'GW_INVALID_ARGUMENT'],
    ['switch on a canary model', 'POST', '/admin/models/fraud/switch', { body: '{}' }, 400, 'GW_INVALID_ARGUMENT'],
    ['register an existing version', 'POST', '/admin/models/fraud/versions', split({ name: 'v2', replicas: ['http://127.0.0.1:11'] }), 409, 'GW_CONFLICT'],
    ['register a bad replica URL', 'POST', '/admin/models/fraud/versions', split({ name: 'v3', replicas: ['not a url'] }), 400, 'GW_INVALID_ARGUMENT'],
    ['register without replicas', 'POST', '/admin/models/fraud/versions', split({ name: 'v3', replicas: [] }), 400, 'GW_INVALID_ARGUMENT'],
    ['retire the stable version', 'DELETE', '/admin/models/fraud/versions/v1', {}, 409, 'GW_CONFLICT'],
    ['retire the canary', 'DELETE', '/admin/models/fraud/versions/v2', {}, 409, 'GW_CONFLICT'],
    ['retire an unknown version', 'DELETE', '/admin/models/fraud/versions/v7', {}, 404, 'GW_UNKNOWN_VERSION'],
    ['missing token', 'POST', '/admin/models/fraud/promote', { body: '{}', token: null }, 401, 'GW_UNAUTHORIZED'],
    ['wrong token', 'POST', '/admin/models/fraud/promote', { body: '{}', token: 'not-the-token-0123456789' }, 401, 'GW_UNAUTHORIZED'],
    ['read-only token', 'POST', '/admin/models/fraud/promote', { body: '{}', token: READ }, 403, 'GW_FORBIDDEN'],
    ['audit limit out of range', 'GET', '/admin/audit?limit=0', {}, 400, 'GW_INVALID_ARGUMENT'],
    ['unknown model on read', 'GET', '/admin/models/nope', {}, 404, 'GW_UNKNOWN_MODEL']
  ] as const)('%s: %s %s -> %i %s with a message, state unchanged', async (_name, method, path, opts, status, code) => {
    const before = await call(gw!, 'GET', '/admin/models')
    const res = await call(gw!, method, path, opts as { body?: string, token?: string | null, headers?: Record<string, string> })
    expect(res.status).toBe(status)
    expect(res.json.code).toBe(code)
    expect(typeof res.json.error).toBe('string')
    expect(res.json.error!.length).toBeGreaterThan(10)
    const after = await call(gw!, 'GET', '/admin/models')
    expect(after.json.revision).toBe(2)
    expect(after.json).toEqual(before.json)
  })

  it('a read token may read: 200 with the revision', async () => {
    const res = await call(gw!, 'GET', '/admin/models', { token: READ })
    expect(res.status).toBe(200)
    expect(res.json.revision).toBe(2)
  })
})
