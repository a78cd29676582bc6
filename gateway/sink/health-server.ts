/**
 * The sink's probe endpoints for Kubernetes: GET /health/live answers
 * 200 while the process serves; GET /health/ready answers 200 once the consumer
 * joined its group and until it stops, 503 otherwise. Both bodies carry the
 * insert counters and how many partitions are paused on failing inserts, so a
 * look at one pod tells whether ClickHouse is the trouble. A ClickHouse outage
 * does not fail readiness: the sink keeps its partitions and catches up, and a
 * sink has no Service whose traffic readiness would steer.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SinkStats } from './consumer.js'

export interface SinkHealthSource {
  readonly ready: boolean
  readonly stats: SinkStats
  readonly failingPartitions: number
}

export interface SinkHealthServer {
  port: number
  close (): Promise<void>
}

export async function startSinkHealth (host: string, port: number, source: SinkHealthSource): Promise<SinkHealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (req.method !== 'GET' || (path !== '/health/live' && path !== '/health/ready')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found; GET /health/live or /health/ready"}')
      return
    }
    const ok = path === '/health/live' || source.ready
    const body = JSON.stringify({ ready: source.ready, failingPartitions: source.failingPartitions, stats: source.stats })
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(body)
  })
  server.requestTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port }, () => { server.off('error', reject); resolve() })
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>(resolve => { server.close(() => { resolve() }); server.closeAllConnections() })
  }
}
