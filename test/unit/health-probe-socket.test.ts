import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ProbeSocketPool, type ProbeConn, type ProbeConnHandler } from '../../gateway/health/probe-socket.js'
import { eventually } from '../support/eventually.js'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map(s => new Promise(resolve => { s.close(resolve) })))
})

/** Answers every connection with `reply` as soon as it opens, then ends it (as a replica answering HTTP/1.0 does). */
async function replica (reply: string): Promise<number> {
  const server = createServer((s) => { s.end(reply) })
  servers.push(server)
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  return (server.address() as { port: number }).port
}

/** What one connection delivered: the bytes (copied, as the handler contract asks) and how it ended. */
function recorder (): ProbeConnHandler & { text: () => string, ended: () => boolean } {
  const chunks: Buffer[] = []
  let ended = false
  return {
    onConnect: () => {},
    onData: (chunk) => { chunks.push(Buffer.from(chunk)) },
    onEnd: () => { ended = true },
    text: () => Buffer.concat(chunks).toString('latin1'),
    ended: () => ended
  }
}

async function exchange (pool: ProbeSocketPool, port: number): Promise<{ conn: ProbeConn, text: string }> {
  const h = recorder()
  const conn = pool.open(h, '127.0.0.1', port, null)
  await eventually(() => { expect(h.ended()).toBe(true) }, { timeoutMs: 10_000 })
  conn.release()
  // The pool takes the socket back on 'close' (its listener runs before this one).
  if (!conn.socket.closed) await once(conn.socket, 'close')
  return { conn, text: h.text() }
}

describe('ProbeSocketPool', () => {
  it('connects a closed socket again to another replica, which reads that replica\'s bytes', async () => {
    const pool = new ProbeSocketPool()
    const first = await exchange(pool, await replica('HTTP/1.0 200 OK\r\n\r\nfirst'))
    const second = await exchange(pool, await replica('HTTP/1.0 503 Busy\r\n\r\nsecond'))
    expect(second.conn).toBe(first.conn)
    expect(first.text).toBe('HTTP/1.0 200 OK\r\n\r\nfirst')
    expect(second.text).toBe('HTTP/1.0 503 Busy\r\n\r\nsecond')
  })

  it('sends nothing more to a handler after its connection is released', async () => {
    const pool = new ProbeSocketPool()
    const port = await replica('HTTP/1.0 200 OK\r\n\r\nlate')
    const h = recorder()
    const conn = pool.open(h, '127.0.0.1', port, null)
    conn.release()
    await once(conn.socket, 'close')
    expect(h.text()).toBe('')
    expect(h.ended()).toBe(false)
  })
})
