import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { buildProbeRequest, ProbeError, sendProbe } from '../../gateway/health/http-probe.js'

const servers: Array<Server | NetServer> = []
const sockets = new Set<Socket>()
afterEach(async () => {
  for (const s of sockets) s.destroy()
  sockets.clear()
  await Promise.all(servers.splice(0).map(s => new Promise(resolve => { s.close(resolve) })))
})

async function listen<S extends Server | NetServer> (s: S): Promise<number> {
  servers.push(s)
  s.on('connection', (socket: Socket) => { sockets.add(socket) })
  await new Promise<void>(resolve => { s.listen(0, '127.0.0.1', resolve) })
  return (s.address() as { port: number }).port
}

const probeOf = (port: number, path = '/v2/health/ready', body: string | null = null) => buildProbeRequest(new URL(`http://127.0.0.1:${port}`), path, body, null)

describe('sendProbe', () => {
  it('reads the status of a GET and sends host, path and connection: close', async () => {
    let seen: { method?: string, url?: string, host?: string, connection?: string } = {}
    const port = await listen(createHttpServer((req, res) => {
      seen = { method: req.method, url: req.url, host: req.headers.host, connection: req.headers.connection }
      res.writeHead(503).end('not yet')
    }))
    const res = await sendProbe(probeOf(port), 2_000, 0).result
    expect(res.status).toBe(503)
    expect(seen).toEqual({ method: 'GET', url: '/v2/health/ready', host: `127.0.0.1:${port}`, connection: 'close' })
  })

  it('posts the body and returns the answer written in several chunks, whole', async () => {
    let got = ''
    const port = await listen(createHttpServer((req, res) => {
      req.setEncoding('utf8')
      req.on('data', (d: string) => { got += d })
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('{"outputs":[{"name":"fraud_')
        setTimeout(() => { res.end('probability"}]}') }, 20)
      })
    }))
    const res = await sendProbe(probeOf(port, '/v2/models/m/infer', '{"inputs":[]}'), 2_000, 64 * 1024).result
    expect(got).toBe('{"inputs":[]}')
    expect(res.body).toBe('{"outputs":[{"name":"fraud_probability"}]}')
  })

  it('fails with "timeout" when the replica accepts the connection and never answers', async () => {
    const port = await listen(createNetServer(() => {}))
    await expect(sendProbe(probeOf(port), 200, 0).result).rejects.toThrow(new ProbeError('timeout'))
  })

  it('fails with ECONNREFUSED when nothing listens', async () => {
    const port = await listen(createNetServer())
    await new Promise(resolve => { servers.pop()!.close(resolve) })
    await expect(sendProbe(probeOf(port), 2_000, 0).result).rejects.toThrow(new ProbeError('ECONNREFUSED'))
  })

  it('fails when the answer is not HTTP', async () => {
    const port = await listen(createNetServer((s) => { s.end('SSH-2.0-OpenSSH\r\n\r\n') }))
    await expect(sendProbe(probeOf(port), 2_000, 0).result).rejects.toThrow(new ProbeError('not an HTTP response'))
  })

  it('fails with "aborted" at once when aborted', async () => {
    const port = await listen(createNetServer(() => {}))
    const probe = sendProbe(probeOf(port), 60_000, 0)
    probe.abort()
    await expect(probe.result).rejects.toThrow(new ProbeError('aborted'))
  })
})
