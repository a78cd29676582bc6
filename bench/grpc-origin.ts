/**
 * The origin of bench/grpc.ts: answers ModelInfer over gRPC and POST …/infer
 * over REST with fixed answers encoded once, so the benchmark measures the
 * proxies, not a model. A ModelInfer request larger than 64 KiB (the 1 MiB
 * row) is answered with a 1 MiB raw_output_contents tensor: 1 MiB each way.
 *
 * node dist/bench/grpc-origin.js  ->  {"event":"ready","grpcPort":N,"httpPort":M}
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as grpc from '@grpc/grpc-js'
import { messageType, rpcPath } from '../proto/oip-proto.js'
import { tuneServer } from '../proto/server-tuning.js'

export const BIG_TENSOR_BYTES = 1024 * 1024
const BIG_REQUEST_AT = 64 * 1024

const type = messageType('ModelInferResponse')
const encode = (v: Record<string, unknown>): Buffer => Buffer.from(type.encode(type.fromObject(v)).finish())
const SMALL = encode({ modelName: 'fraud', modelVersion: 'v1', outputs: [{ name: 'fraud_probability', datatype: 'FP64', shape: [1], contents: { fp64Contents: [0.25] } }] })
const BIG = encode({ modelName: 'tensors', modelVersion: 'v1', outputs: [{ name: 'y', datatype: 'FP32', shape: [BIG_TENSOR_BYTES / 4] }], rawOutputContents: [Buffer.alloc(BIG_TENSOR_BYTES, 7)] })
const REST_BODY = JSON.stringify({ model_name: 'fraud', model_version: 'v1', outputs: [{ name: 'fraud_probability', datatype: 'FP64', shape: [1], data: [0.25] }] })

const identity = (b: Buffer): Buffer => b
const server = new grpc.Server({ 'grpc.max_receive_message_length': 8 * BIG_TENSOR_BYTES, 'grpc.enable_channelz': 0 })
const unary = (path: string): grpc.MethodDefinition<Buffer, Buffer> => ({ path, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity })
/** ServerReadyResponse { ready: true }. */
const READY = Buffer.from([0x08, 0x01])
server.addService({ ModelInfer: unary(rpcPath('ModelInfer')), ServerReady: unary(rpcPath('ServerReady')) }, {
  ModelInfer: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => { cb(null, call.request.length > BIG_REQUEST_AT ? BIG : SMALL) },
  ServerReady: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => { cb(null, READY) }
})
const grpcPort = await new Promise<number>((resolve, reject) => {
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => { if (err === null) resolve(p); else reject(err) })
})
tuneServer(server)
const http = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(REST_BODY) })
    res.end(REST_BODY)
  })
})
http.keepAliveTimeout = 65_000
await new Promise<void>((resolve) => { http.listen(0, '127.0.0.1', resolve) })
process.stdout.write(`${JSON.stringify({ event: 'ready', grpcPort, httpPort: (http.address() as AddressInfo).port })}\n`)
process.on('SIGTERM', () => { server.forceShutdown(); http.close(); process.exit(0) })
