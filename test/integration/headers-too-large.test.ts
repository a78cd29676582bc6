import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { useOneModelGateway } from '../support/one-model-gateway.js'

// A request whose headers are over node's limit (60 KB here) is refused by the
// HTTP parser before any handler runs; the answer is still the project's error
// shape (431 GW_HEADERS_TOO_LARGE with an x-request-id), on both planes.

const setup = useOneModelGateway()

interface RawAnswer { status: number, headers: Map<string, string>, body: string }

/** Sends raw HTTP/1.1 (a client library may refuse such headers itself) and reads until the server closes. */
function rawRequest (baseUrl: string, path: string, extraHeader: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect(Number(port), hostname)
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')))
    socket.on('data', (c: Buffer) => chunks.push(c))
    // The server may close while the rest of the headers is still being written.
    socket.on('error', (err: NodeJS.ErrnoException) => { if (chunks.length === 0) reject(err) })
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [head = '', body = ''] = text.split('\r\n\r\n')
      const [statusLine = '', ...lines] = head.split('\r\n')
      const headers = new Map(lines.map(l => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body })
    })
    socket.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\n${extraHeader}\r\n\r\n`)
  })
}

const BIG = `x-filler: ${'a'.repeat(60 * 1024)}`

function expectHeadersTooLarge (res: RawAnswer): void {
  expect(res.status).toBe(431)
  expect(res.headers.get('content-type')).toContain('application/json')
  expect(res.headers.get('x-request-id')).toBeTruthy()
  const body = JSON.parse(res.body) as { error: unknown, code: string }
  expect(body.code).toBe('GW_HEADERS_TOO_LARGE')
  expect(typeof body.error).toBe('string')
  expect((body.error as string).length).toBeGreaterThan(0)
}

describe('a 60 KB request header', () => {
  it('on the data plane: 431 GW_HEADERS_TOO_LARGE in the project\'s error shape', async () => {
    expectHeadersTooLarge(await rawRequest(setup.gw.url, '/v2/health/live', BIG))
  })

  it('on the admin plane: 431 GW_HEADERS_TOO_LARGE in the project\'s error shape', async () => {
    expectHeadersTooLarge(await rawRequest(setup.gw.adminUrl!, '/admin/models', BIG))
  })

  it('leaves the data plane serving: the next request is answered 200', async () => {
    await rawRequest(setup.gw.url, '/v2/health/live', BIG)
    const res = await fetch(`${setup.gw.url}/v2/health/live`)
    expect(res.status).toBe(200)
    await res.arrayBuffer()
  })
})
