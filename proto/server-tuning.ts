/**
 * Transport settings @grpc/grpc-js leaves at Node's defaults on the
 * connections its server accepts (1.14), set here for every gRPC server of the
 * project (the gateway's listener, scorer-sdk, the benchmark's origin):
 * - TCP_NODELAY: grpc-js sets it on connections it opens, not on those it
 *   accepts, so an answer written on a connection carrying several calls at
 *   once waited for the peer's delayed ACK (Nagle's algorithm): tens of
 *   milliseconds per answer behind a proxy that multiplexes calls (bench/grpc.ts).
 * Call it after bindAsync; the servers are grpc-js's own (a private field,
 * read at run time).
 */
import type { Server as NetServer, Socket } from 'node:net'
import type { Server } from '@grpc/grpc-js'

export function tuneServer (server: Server): void {
  const servers = (server as unknown as { http2Servers?: Map<NetServer, unknown> }).http2Servers
  if (servers === undefined) throw new Error('@grpc/grpc-js Server has no http2Servers map: check tuneServer against this version')
  for (const s of servers.keys()) {
    s.on('connection', (socket: Socket) => { socket.setNoDelay(true) })
  }
}
