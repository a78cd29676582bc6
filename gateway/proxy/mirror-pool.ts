/**
 * The shadow's own connections to one replica, apart from the live pool.
 * Live requests go one per connection and are written as they come; mirrored
 * requests are sent in batches (proxy/shadow.ts), so these connections
 * pipeline them (HTTP/1.1, RFC 9112 section 9.3.2) and the batch is written
 * with one system call per connection: every socket of the pool is corked
 * while the batch is dispatched and uncorked after. On loopback a write costs
 * the sender the receiver's share of the kernel's work, and one write per
 * mirrored request was the largest part of what mirroring cost (bench/shadow.ts).
 */
import type { Socket } from 'node:net'
import { buildConnector, Pool } from 'undici'

export class MirrorPool {
  readonly pool: Pool
  readonly #sockets = new Set<Socket>()
  readonly #corked: Socket[] = []

  /**
   * `maxConnections`: the replica's cap on requests in flight. As many
   * connections may be opened: a connection not yet open takes one request
   * only (undici counts it busy while a request waits to be written), so fewer
   * would let the pool queue a mirror's options past the dispatch that must
   * consume them (see ShadowCall.send). Open connections take up to
   * `pipelining` each, the first ones first, so in steady state mirrors share
   * a few connections and the rest close when idle.
   */
  constructor (origin: string, connect: Record<string, unknown>, maxConnections: number, pipelining: number, keepAliveTimeoutMs: number) {
    const base = buildConnector(connect)
    this.pool = new Pool(origin, {
      pipelining,
      connections: maxConnections,
      keepAliveTimeout: keepAliveTimeoutMs,
      connect: (opts, callback) => {
        base(opts, (err, socket) => {
          // On a failed connect undici passes no socket at all (undefined, not null).
          if (socket != null) {
            this.#sockets.add(socket)
            socket.once('close', () => { this.#sockets.delete(socket) })
          }
          ;(callback as (e: Error | null, s: Socket | null) => void)(err, socket)
        })
      }
    })
  }

  /** Holds every connection's writes until uncork(): the dispatches in between leave in one write per connection. */
  cork (): void {
    for (const s of this.#sockets) {
      s.cork()
      this.#corked.push(s)
    }
  }

  uncork (): void {
    const c = this.#corked
    for (let i = 0; i < c.length; i++) c[i]!.uncork()
    c.length = 0
  }

  close (): Promise<void> {
    return this.pool.close()
  }
}
