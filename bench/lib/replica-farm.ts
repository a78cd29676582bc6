/**
 * Many model replicas in one process, for the scale benchmark: one tiny HTTP
 * listener per (loopback address, port), each a distinct origin as a pod
 * would be. Answers GET …/ready (the health probe) with 200 and POST …/infer
 * with a fixed OIP answer. Prints one line {"event":"ready","origins":[…]}.
 *
 * `node dist/bench/lib/replica-farm.js --addresses 127.1.0.1,127.1.0.2 --per-address 100 [--keep-alive-ms 5000]`
 * Linux routes all of 127/8 to lo, so 127.1.0.x need no setup.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'

const READY = Buffer.from('{"ready":true}')
const INFER = Buffer.from('{"model_name":"m","outputs":[{"name":"y","shape":[1],"datatype":"FP64","data":[0.5]}]}')

const { values } = parseArgs({ options: { addresses: { type: 'string' }, 'per-address': { type: 'string', default: '100' }, 'keep-alive-ms': { type: 'string', default: '5000' } }, strict: true })
const addresses = (values.addresses ?? '').split(',').filter(a => a !== '')
const perAddress = Number(values['per-address'])
/** How long a listener keeps an idle connection (Node's default, 5 s, is shorter than the default probe interval). */
const keepAliveMs = Number(values['keep-alive-ms'])
if (addresses.length === 0 || !Number.isInteger(perAddress) || perAddress < 1 || !Number.isInteger(keepAliveMs) || keepAliveMs < 0) {
  process.stderr.write('usage: replica-farm --addresses A,B,… --per-address N [--keep-alive-ms MS]\n')
  process.exit(2)
}

const servers: Server[] = []
const handler = (req: IncomingMessage, res: ServerResponse): void => {
  req.resume()
  req.on('end', () => {
    const body = req.method === 'POST' ? INFER : READY
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
    res.end(body)
  })
}

async function listen (host: string): Promise<string> {
  const s = createServer({ keepAliveTimeout: keepAliveMs }, handler)
  servers.push(s)
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject)
    s.listen(0, host, () => resolve())
  })
  return `http://${host}:${(s.address() as AddressInfo).port}`
}

const origins: string[] = []
for (const a of addresses) {
  for (let i = 0; i < perAddress; i++) origins.push(await listen(a))
}
process.stdout.write(`${JSON.stringify({ event: 'ready', pid: process.pid, origins })}\n`)
process.on('SIGTERM', () => {
  for (const s of servers) s.close()
  process.exit(0)
})
