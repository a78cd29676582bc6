/**
 * Closing the data-plane listener without dropping accepted requests.
 *
 * Node's http `server.close()` (>= 19, which fastify 5's `close()` calls) stops
 * accepting and at once destroys every connection with no request in progress.
 * Under load that includes connections whose next request is already in the
 * socket buffer but not parsed yet: the client sees a reset for a request it
 * sent. So the listener is closed at the net.Server level first (no new
 * connections; existing ones untouched), answers carry `connection: close` from
 * then on (lifecycle.closing) so busy clients let go of their connections after
 * their current request, and only after a short grace are connections that stay
 * idle closed. Then fastify's close runs its hooks. At the deadline the
 * remaining connections are cut, so shutdown always ends.
 */
import { Server as NetServer } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'

/** Connections with no request for this long after the listener closed are closed (keep-alive pools of idle clients). */
export const IDLE_GRACE_MS = 500
/** After the grace, idle connections are swept this often until none are left. */
export const IDLE_SWEEP_MS = 250

export async function closeListener (app: FastifyInstance, lifecycle: { closing: boolean }, timeoutMs: number, logger: Logger): Promise<void> {
  const server = app.server
  lifecycle.closing = true
  // The callback runs once every connection has ended, i.e. every accepted request was answered.
  const drained = new Promise<void>((resolve) => {
    NetServer.prototype.close.call(server, () => { resolve() })
  })
  let sweep: NodeJS.Timeout | undefined
  const grace = setTimeout(() => {
    server.closeIdleConnections()
    sweep = setInterval(() => { server.closeIdleConnections() }, IDLE_SWEEP_MS)
  }, IDLE_GRACE_MS)
  const deadline = setTimeout(() => {
    logger.error({ timeoutMs }, 'requests still in flight at the shutdown deadline; closing their connections')
    server.closeAllConnections()
  }, timeoutMs)
  try {
    await drained
  } finally {
    clearTimeout(grace)
    clearInterval(sweep)
    clearTimeout(deadline)
  }
  // Runs fastify's onClose hooks; its server.close() finds the listener already closed.
  await app.close()
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => { setTimeout(resolve, ms) })
}
