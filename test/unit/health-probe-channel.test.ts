import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { buildProbeRequest, ProbeChannel } from '../../gateway/health/http-probe.js'

const servers: Server[] = []
const sockets = new Set<Socket>()
afterEach(async () => {
  for (const s of sockets) s.destroy()
  sockets.clear()
  await Promise.all(servers.splice(0).map(s => new Promise(resolve => { s.close(resolve) })))
})

/** A readiness route; counts the connections it accepted. */
async function replica (keepAliveTimeout: number, chunked = false): Promise<{ port: number, connections: () => number, server: Server }> {
  let connections = 0
  const server = createServer({ keepAliveTimeout }, (_req, res) => {
    res.writeHead(200, chunked ? { 'content-type': 'application/json' } : { 'content-type': 'application/json', 'content-length': 14 }).end('{"ready":true}')
  })
  server.on('connection', (s: Socket) => {
    connections++
    sockets.add(s)
  })
  servers.push(server)
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  return { port: (server.address() as { port: number }).port, connections: () => connections, server }
}

const channelTo = (port: number): ProbeChannel => new ProbeChannel(buildProbeRequest(new URL(`http://127.0.0.1:${port}`), '/v2/health/ready', null, null))

/** Three readiness probes one after another, each allowed to keep the connection for the next (5 s away); the connections used. */
async function threeProbes (r: { port: number, connections: () => number }): Promise<number> {
  const ch = channelTo(r.port)
  for (let i = 0; i < 3; i++) expect((await ch.send(2_000, 0, 5_000).result).status).toBe(200)
  ch.close()
  return r.connections()
}

describe('ProbeChannel', () => {
  it('sends three probes over one connection when the replica keeps it longer than the next probe', async () => {
    const r = await replica(30_000)
    expect(await threeProbes(r)).toBe(1)
  })

  it('sends three probes over one connection when the replica gives no idle timeout', async () => {
    // keepAliveTimeout 0: Node gives no Keep-Alive hint (nor do nginx and Go's net/http by default) and keeps idle connections.
    const r = await replica(0)
    expect(await threeProbes(r)).toBe(1)
  })

  it('opens a connection per probe when the replica would close it before the next probe', async () => {
    const r = await replica(3_000)
    expect(await threeProbes(r)).toBe(3)
  })

  it('opens a connection per probe when the answer is chunked', async () => {
    const r = await replica(30_000, true)
    expect(await threeProbes(r)).toBe(3)
  })

  it('passes on a fresh connection when the replica dropped the kept one', async () => {
    const r = await replica(30_000)
    const ch = channelTo(r.port)
    expect((await ch.send(2_000, 0, 5_000).result).status).toBe(200)
    // The replica forgets the connection without telling the channel first.
    for (const s of sockets) s.destroy()
    expect((await ch.send(2_000, 0, 5_000).result).status).toBe(200)
    ch.close()
    expect(r.connections()).toBe(2)
  })
})
