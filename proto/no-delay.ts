/**
 * TCP_NODELAY on the sockets a @grpc/grpc-js server accepts. grpc-js sets it on
 * the connections it opens as a client, not on those its server accepts (1.14),
 * so an answer written on a connection that carries several calls at once waits
 * for the peer's delayed ACK (Nagle's algorithm): tens of milliseconds per
 * answer once a proxy multiplexes calls onto one connection (measured:
 * bench/grpc.ts). Call it after bindAsync; the servers are grpc-js's own
 * (a private field, read at run time).
 */
import type { Server as NetServer, Socket } from 'node:net'
import type { Server } from '@grpc/grpc-js'

export function setNoDelay (server: Server): void {
  const servers = (server as unknown as { http2Servers?: Map<NetServer, unknown> }).http2Servers
  if (servers === undefined) throw new Error('@grpc/grpc-js Server has no http2Servers map: check setNoDelay against this version')
  for (const s of servers.keys()) {
    s.on('connection', (socket: Socket) => { socket.setNoDelay(true) })
  }
}
