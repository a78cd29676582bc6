/**
 * Closing the data-plane listener without dropping accepted requests.
 *
 * fastify 5 `close()` stops accepting connections and (Node >= 19) closes the
 * keep-alive connections that are idle at that instant; requests already in
 * flight, and ones that arrive on busy keep-alive connections while closing,
 * are still served (the data plane sets return503OnClosing: false) with
 * `connection: close`. A connection whose request was in flight when close
 * began becomes idle afterwards and would hold close() open until the
 * keep-alive timeout: the data plane answers with `connection: close` while
 * draining, and a periodic sweep closes any idle leftovers. At the deadline the
 * remaining connections are cut so shutdown always ends.
 */
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'

/** How often idle keep-alive connections are swept while closing. */
export const IDLE_SWEEP_MS = 1_000

export async function closeListener (app: FastifyInstance, timeoutMs: number, logger: Logger): Promise<void> {
  const server = app.server
  const sweep = setInterval(() => { server.closeIdleConnections() }, IDLE_SWEEP_MS)
  const deadline = setTimeout(() => {
    logger.error({ timeoutMs }, 'requests still in flight at the shutdown deadline; closing their connections')
    server.closeAllConnections()
  }, timeoutMs)
  try {
    await app.close()
  } finally {
    clearInterval(sweep)
    clearTimeout(deadline)
  }
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => { setTimeout(resolve, ms) })
}
