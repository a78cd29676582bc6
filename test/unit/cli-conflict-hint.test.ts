import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdminClient, AdminClientError } from '../../gateway/cli/admin-client.js'
import { errors, GatewayError } from '../../gateway/errors.js'

// The CLI adds "someone changed the routing state meanwhile" only to a stale
// revision; other 409s carry their own reason. An admin API that answers with
// the catalogue's bodies, on port 0.

const ANSWERS: Record<string, GatewayError> = {
  '/stale': errors.staleRevision(4, 5),
  '/not-verified': new GatewayError('GW_NOT_VERIFIED', { model: 'fraud', version: 'v3', detail: 'it has not been verified and the model requires verification' }),
  '/held': errors.conflict('"v1" is held back after the promotion of "v3"')
}

describe('the CLI\'s hint on 409 answers', () => {
  let server: Server
  let client: AdminClient
  beforeAll(async () => {
    server = createServer((req, res) => {
      const e = ANSWERS[req.url ?? '']!
      res.writeHead(e.statusCode, { 'content-type': 'application/json' }).end(JSON.stringify(e.toJSON()))
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    client = new AdminClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't' })
  })
  afterAll(async () => { await new Promise(resolve => server.close(resolve)) })

  const messageOf = async (path: string): Promise<string> => {
    try {
      await client.call('GET', path)
    } catch (err) {
      if (err instanceof AdminClientError) return err.message
      throw err
    }
    throw new Error('no error')
  }

  it('a stale revision carries currentRevision and gets the hint', async () => {
    expect(ANSWERS['/stale']!.toJSON()).toMatchObject({ code: 'GW_CONFLICT', currentRevision: 5 })
    expect(await messageOf('/stale')).toBe('409 GW_CONFLICT: revision 4 is stale: the routing state is at revision 5; re-read it and retry (someone changed the routing state meanwhile; check "status" and retry)')
  })

  it.each(['/not-verified', '/held'])('%s (another 409) has no such hint', async (path) => {
    expect(await messageOf(path)).not.toContain('someone changed')
  })
})
