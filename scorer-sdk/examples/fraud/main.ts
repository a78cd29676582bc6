import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { serve } from '../../server.js'
import type { ScorerServer } from '../../server.js'
import { serveGrpc, type ScorerGrpcServer } from '../../grpc-server.js'
import { FRAUD_INPUTS, createPredict, loadWeights, withFaults } from './model.js'
import { outputsFor, withKnobs } from './knobs.js'
import { parseSegmentFault, withRehearsal, type RehearsalState } from './rehearsal.js'

// Runnable fraud model. The only stdout line is the ready line, which the
// tests, the demo and the benchmark parse to learn the port:
// {"event":"ready","name":"fraud","version":"v1","port":12345,"pid":42}
// (with --grpc-port, also "grpcPort": the same model over gRPC).

function fail (message: string): never {
  process.stderr.write(`fraud model: ${message}\n`)
  process.exit(2)
}

function parsePort (value: string, flag: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`${flag} must be an integer 0-65535, got ${JSON.stringify(value)}`)
  return n
}

let args
try {
  args = parseArgs({
    options: {
      version: { type: 'string', default: 'v1' },
      port: { type: 'string', default: '0' },
      // Serve the Open Inference Protocol over gRPC too, on this port (0: any free one).
      'grpc-port': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      name: { type: 'string', default: 'fraud' },
      'delay-ms': { type: 'string', default: '0' },
      // Knobs for release rehearsals (see knobs.ts): weights of another version, another output name, disagreement, failures.
      weights: { type: 'string' },
      'output-name': { type: 'string' },
      'flip-above-amount': { type: 'string' },
      fail: { type: 'boolean', default: false },
      shuffle: { type: 'boolean', default: false },
      // Fault knobs for release tests and benchmarks: a share of requests answered 500, and a shift of the logit.
      'error-rate': { type: 'string', default: '0' },
      shift: { type: 'string', default: '0' },
      // Release rehearsals (rehearsal.ts): a cold start, a fault after SIGUSR2, a fault in one segment.
      'cold-requests': { type: 'string', default: '0' },
      'cold-delay-ms': { type: 'string', default: '0' },
      'degraded-error-rate': { type: 'string', default: '0' },
      'segment-fault': { type: 'string' },
      // HTTPS: certificate and key files; with --tls-client-ca, clients must present a certificate it signed.
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-client-ca': { type: 'string' }
    },
    strict: true
  }).values
} catch (err) {
  fail((err as Error).message)
}

const version = args.version
const port = parsePort(args.port, '--port')
const delayMs = Number(args['delay-ms'])
if (!Number.isFinite(delayMs) || delayMs < 0) fail(`--delay-ms must be a number >= 0, got ${JSON.stringify(args['delay-ms'])}`)

const errorRate = Number(args['error-rate'])
if (!(errorRate >= 0 && errorRate <= 1)) fail(`--error-rate must be a number from 0 to 1, got ${JSON.stringify(args['error-rate'])}`)
const shift = Number(args.shift)
if (!Number.isFinite(shift)) fail(`--shift must be a number (added to the logit), got ${JSON.stringify(args.shift)}`)

let loaded
try {
  loaded = loadWeights(args.weights ?? version)
} catch (err) {
  fail((err as Error).message)
}
const flip = args['flip-above-amount'] === undefined ? undefined : Number(args['flip-above-amount'])
if (flip !== undefined && !Number.isFinite(flip)) fail(`--flip-above-amount must be a number, got ${JSON.stringify(args['flip-above-amount'])}`)
const knobs = { outputName: args['output-name'], flipAboveAmount: flip, fail: args.fail, shuffle: args.shuffle }
const coldRequests = Number(args['cold-requests'])
const coldDelayMs = Number(args['cold-delay-ms'])
const degradedErrorRate = Number(args['degraded-error-rate'])
if (!Number.isInteger(coldRequests) || coldRequests < 0) fail(`--cold-requests must be an integer >= 0, got ${JSON.stringify(args['cold-requests'])}`)
if (!(coldDelayMs >= 0)) fail(`--cold-delay-ms must be a number >= 0, got ${JSON.stringify(args['cold-delay-ms'])}`)
if (!(degradedErrorRate >= 0 && degradedErrorRate <= 1)) fail(`--degraded-error-rate must be a number from 0 to 1, got ${JSON.stringify(args['degraded-error-rate'])}`)
const segmentFault = args['segment-fault'] === undefined ? undefined : parseSegmentFault(args['segment-fault']) ?? fail(`--segment-fault must be NAME=VALUE:RATE (e.g. region=eu:0.3), got ${JSON.stringify(args['segment-fault'])}`)
const rehearsal: RehearsalState = { degraded: false, served: 0 }
// A version that degrades later: the test or rehearsal sends SIGUSR2 when it wants the fault to start.
process.on('SIGUSR2', () => { rehearsal.degraded = true })
if (loaded.fellBack) {
  process.stderr.write(`fraud model: no weights-${version}.json, serving ${version} with the v1 weights\n`)
}

// Handlers go in before the ready line: a parent may signal as soon as it reads it.
const running: { server?: ScorerServer, grpc?: ScorerGrpcServer } = {}
let stopping = false
const stop = (): void => {
  if (stopping) return
  stopping = true
  if (running.server === undefined) process.exit(0)
  Promise.all([running.server.close(), running.grpc?.close()]).then(() => process.exit(0), () => process.exit(1))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

if ((args['tls-cert'] === undefined) !== (args['tls-key'] === undefined)) fail('--tls-cert and --tls-key go together')
let tls: { cert: Buffer, key: Buffer, clientCa?: Buffer } | undefined
try {
  if (args['tls-cert'] !== undefined) {
    tls = { cert: readFileSync(args['tls-cert']), key: readFileSync(args['tls-key']!) }
    if (args['tls-client-ca'] !== undefined) tls.clientCa = readFileSync(args['tls-client-ca'])
  }
} catch (err) {
  fail(`cannot read a TLS file: ${(err as Error).message}`)
}

const serveOptions = {
  tls,
  name: args.name,
  version,
  host: args.host,
  port,
  platform: 'scorer-sdk-node/logistic-regression',
  inputs: FRAUD_INPUTS,
  outputs: outputsFor(knobs),
  predict: withRehearsal(withKnobs(withFaults(createPredict({ ...loaded.weights, intercept: loaded.weights.intercept + shift }, delayMs), errorRate), knobs), { coldRequests, coldDelayMs, degradedErrorRate, segmentFault }, rehearsal)
}
const server = await serve(serveOptions).catch((err: unknown) => fail(`cannot listen on ${args.host}:${port}: ${(err as Error).message}`))
running.server = server
if (args['grpc-port'] !== undefined) {
  const grpcPort = parsePort(args['grpc-port'], '--grpc-port')
  running.grpc = await serveGrpc({ ...serveOptions, port: grpcPort }).catch((err: unknown) => fail(`cannot listen for gRPC on ${args.host}:${grpcPort}: ${(err as Error).message}`))
}
if (!stopping) {
  process.stdout.write(`${JSON.stringify({ event: 'ready', name: args.name, version, port: server.port, ...(running.grpc === undefined ? {} : { grpcPort: running.grpc.port }), pid: process.pid })}\n`)
}
