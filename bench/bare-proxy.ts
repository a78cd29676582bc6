/**
 * Node's floor for a proxy: node:http in front, one undici Pool behind, the
 * request body buffered and handed over whole, the answer collected and written
 * back — what the gateway does minus every feature (routing, stickiness,
 * validation, health, metrics, logging). The gateway's cost over this is what
 * its features cost.
 * `node dist/bench/bare-proxy.js --upstream http://127.0.0.1:N [--port 0]`
 * prints `{"event":"ready","port":N,"pid":P}` once it listens.
 * It holds a nextTick record as the gateway does (gateway/tick-shapes.ts), so the
 * floor is not left a few microseconds slower in some processes than others.
 */
import '../gateway/tick-shapes.js'
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { Pool, type Dispatcher } from 'undici'

const { values } = parseArgs({
  options: { upstream: { type: 'string' }, port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
  strict: true
})
if (values.upstream === undefined) {
  process.stderr.write('bare-proxy: --upstream URL is required\n')
  process.exit(2)
}
const pool = new Pool(values.upstream, { pipelining: 1, keepAliveTimeout: 30_000 })

class Collect implements Dispatcher.DispatchHandler {
  status = 0
  headers: Record<string, string | string[] | undefined> = {}
  chunks: Buffer[] = []
  constructor (readonly done: (err: Error | null, c: Collect) => void) {}
  // Its presence tells undici this handler speaks the controller API.
  onRequestStart (): void {}
  onResponseStart (_c: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = status
    this.headers = headers
  }

  onResponseData (_c: Dispatcher.DispatchController, chunk: Buffer): void { this.chunks.push(chunk) }
  onResponseEnd (): void { this.done(null, this) }
  onResponseError (_c: Dispatcher.DispatchController, err: Error): void { this.done(err, this) }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    const headers: string[] = []
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection' && k !== 'content-length') headers.push(k, v)
    pool.dispatch({ path: req.url!, method: req.method as Dispatcher.HttpMethod, headers, body }, new Collect((err, c) => {
      if (err !== null) {
        res.writeHead(502).end()
        return
      }
      const out = Buffer.concat(c.chunks)
      res.writeHead(c.status, { 'content-type': String(c.headers['content-type'] ?? 'application/json'), 'content-length': out.length })
      res.end(out)
    }))
  })
})
server.keepAliveTimeout = 72_000
const stop = (): void => { server.close(); void pool.close().then(() => process.exit(0)) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
server.listen(Number(values.port), values.host, () => {
  const port = (server.address() as { port: number }).port
  process.stdout.write(`${JSON.stringify({ event: 'ready', port, pid: process.pid })}\n`)
})
