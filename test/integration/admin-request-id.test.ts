import { describe, expect, it } from 'vitest'
import { useOneModelGateway } from '../support/one-model-gateway.js'

// Admin answers carry x-request-id like the data plane's: the caller's when it
// sends one, a new one otherwise — on refusals too.

const TOKEN = 'admin-request-id-token-0123456789'
const setup = useOneModelGateway({}, { admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] } })

describe('admin x-request-id', () => {
  it('echoes the caller\'s x-request-id on a 200', async () => {
    const res = await fetch(`${setup.gw.adminUrl!}/admin/models`, { headers: { authorization: `Bearer ${TOKEN}`, 'x-request-id': 'ops-42' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toBe('ops-42')
  })

  it('sets a new x-request-id on a 401', async () => {
    const res = await fetch(`${setup.gw.adminUrl!}/admin/models`)
    expect(res.status).toBe(401)
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })
})
