import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { expectGatewayError } from '../support/oip.js'

// The admin API's bearer scheme is case-insensitive (RFC 7235 §2.1), and every
// refused call (401, 403) leaves one log line naming the token ("none" when
// there was no valid one), the source address and the route, never the token.

const ADMIN = 'admin-auth-admin-token-0123456789'
const READ = 'admin-auth-read-token-0123456789'
const WRONG = 'admin-auth-wrong-token-0123456789'

let gw: GatewayProcess

beforeAll(async () => {
  gw = await startGatewayProcess({
    admin: { tokens: [{ name: 'ops', token: ADMIN, role: 'admin' }, { name: 'dash', token: READ, role: 'read' }] },
    models: {
      fraud: {
        versions: { v1: { replicas: ['http://127.0.0.1:9'] } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
})

interface RefusalLine { msg: string, tokenName: string, source: string, method: string, route: string }

/** The refusal log lines for `route` written so far. */
function refusals (route: string): RefusalLine[] {
  return gw.stderr().split('\n')
    .filter(l => l.includes('admin call refused'))
    .map(l => JSON.parse(l) as RefusalLine)
    .filter(l => l.route === route)
}

describe('admin API bearer scheme', () => {
  for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
    it(`accepts "authorization: ${scheme} <token>": 200 on GET /admin/models`, async () => {
      const res = await fetch(`${gw.adminUrl!}/admin/models`, { headers: { authorization: `${scheme} ${READ}` } })
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ revision: expect.any(Number) })
    })
  }
})

describe('refused admin calls', () => {
  it('a call without a token: 401 GW_UNAUTHORIZED and a log line with token "none", the source address and the route', async () => {
    const res = await fetch(`${gw.adminUrl!}/admin/audit`)
    await expectGatewayError(res, 401, 'GW_UNAUTHORIZED')
    const [line] = await eventually(() => {
      const lines = refusals('/admin/audit')
      expect(lines).toHaveLength(1)
      return lines
    })
    expect(line).toMatchObject({ tokenName: 'none', source: '127.0.0.1', method: 'GET', route: '/admin/audit' })
  })

  it('a call with a wrong token: 401 GW_UNAUTHORIZED and a log line with token "none" that never contains the token sent', async () => {
    const res = await fetch(`${gw.adminUrl!}/admin/instances`, { headers: { authorization: `Bearer ${WRONG}` } })
    await expectGatewayError(res, 401, 'GW_UNAUTHORIZED')
    const [line] = await eventually(() => {
      const lines = refusals('/admin/instances')
      expect(lines).toHaveLength(1)
      return lines
    })
    expect(line).toMatchObject({ tokenName: 'none', source: '127.0.0.1', method: 'GET', route: '/admin/instances' })
    expect(gw.stderr()).not.toContain(WRONG)
  })

  it('a read token changing state: 403 GW_FORBIDDEN and a log line with the token\'s name, the source address and the route, never the token', async () => {
    const res = await fetch(`${gw.adminUrl!}/admin/models/fraud/promote`, {
      method: 'POST',
      headers: { authorization: `Bearer ${READ}`, 'content-type': 'application/json' },
      body: '{}'
    })
    const body = await expectGatewayError(res, 403, 'GW_FORBIDDEN')
    expect(body.error).toContain('"dash"')
    const [line] = await eventually(() => {
      const lines = refusals('/admin/models/:model/promote')
      expect(lines).toHaveLength(1)
      return lines
    })
    expect(line).toMatchObject({ tokenName: 'dash', source: '127.0.0.1', method: 'POST' })
    expect(gw.stderr()).not.toContain(READ)
    expect(gw.stderr()).not.toContain(ADMIN)
  })
})
