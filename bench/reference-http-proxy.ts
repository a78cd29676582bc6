/**
 * The reference Node proxy: @fastify/http-proxy with its default options
 * (request bodies streamed, no routing), forwarding everything to one origin.
 * `node dist/bench/reference-http-proxy.js --upstream http://127.0.0.1:N [--port 0]`
 * prints `{"event":"ready","port":N,"pid":P}` once it listens.
 */
import { parseArgs } from 'node:util'
import Fastify from 'fastify'
import httpProxy from '@fastify/http-proxy'

const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' }
  },
  strict: true
})
if (values.upstream === undefined) {
  process.stderr.write('reference-http-proxy: --upstream URL is required\n')
  process.exit(2)
}

const app = Fastify()
await app.register(httpProxy, { upstream: values.upstream })
const stop = (): void => { app.close().then(() => process.exit(0), () => process.exit(1)) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
await app.listen({ host: values.host, port: Number(values.port) })
const port = (app.server.address() as { port: number }).port
process.stdout.write(`${JSON.stringify({ event: 'ready', port, pid: process.pid })}\n`)
