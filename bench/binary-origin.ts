/**
 * The origin of the binary-tensor row: it reads the whole request (JSON header
 * plus raw tensor bytes, as a model server would) and answers a small OIP JSON
 * result. The fraud example model reads JSON tensors only, so this stands in.
 * `node dist/bench/binary-origin.js [--port 0]` prints a ready line.
 */
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } }, strict: true })
const answer = JSON.stringify({ model_name: 'tensors', outputs: [{ name: 'score', shape: [1, 1], datatype: 'FP32', data: [0.5] }] })

const server = createServer((req, res) => {
  let n = 0
  req.on('data', (c: Buffer) => { n += c.length })
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer), 'x-bytes-read': String(n) })
    res.end(answer)
  })
})
server.keepAliveTimeout = 72_000
process.on('SIGTERM', () => { server.close(); process.exit(0) })
server.listen(Number(values.port), values.host, () => {
  process.stdout.write(`${JSON.stringify({ event: 'ready', port: (server.address() as { port: number }).port, pid: process.pid })}\n`)
})
