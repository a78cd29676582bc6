import * as grpc from '@grpc/grpc-js'
import { CONTENTS_FIELD, messageType, rpcPath } from '../proto/oip-proto.js'
import { tuneServer } from '../proto/server-tuning.js'
import { DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PLATFORM, SERVER_NAME, SERVER_VERSION, type PredictContext, type ServeOptions } from './server.js'
import { InvalidInputError, parseInferenceRequest } from './validate.js'
import type { Tensor } from './types.js'

// The Open Inference Protocol over gRPC (inference.GRPCInferenceService, the
// vendored proto/grpc_predict_v2.proto) for one model version, beside or
// instead of serve()'s REST server: the same predict function, validation and
// metadata. Tensors arrive as typed contents or raw_input_contents; outputs go
// back as typed contents.

export interface ScorerGrpcServer {
  /** grpc://host:port, the form the gateway's replica lists take. */
  url: string
  port: number
  close(): Promise<void>
}

type Json = Record<string, unknown>
const CLOSE_GRACE_MS = 5_000

/** Little-endian readers for raw tensor bytes (OIP "Raw Tensor Data"), by datatype. */
const RAW: Record<string, { size: number, read: (b: Buffer, at: number) => number | boolean }> = {
  BOOL: { size: 1, read: (b, at) => b[at] !== 0 },
  UINT8: { size: 1, read: (b, at) => b.readUInt8(at) },
  UINT16: { size: 2, read: (b, at) => b.readUInt16LE(at) },
  UINT32: { size: 4, read: (b, at) => b.readUInt32LE(at) },
  UINT64: { size: 8, read: (b, at) => Number(b.readBigUInt64LE(at)) },
  INT8: { size: 1, read: (b, at) => b.readInt8(at) },
  INT16: { size: 2, read: (b, at) => b.readInt16LE(at) },
  INT32: { size: 4, read: (b, at) => b.readInt32LE(at) },
  INT64: { size: 8, read: (b, at) => Number(b.readBigInt64LE(at)) },
  FP32: { size: 4, read: (b, at) => b.readFloatLE(at) },
  FP64: { size: 8, read: (b, at) => b.readDoubleLE(at) }
}

function rawData (name: string, datatype: string, b: Buffer): unknown[] {
  const r = RAW[datatype]
  if (r === undefined) throw new InvalidInputError(`input '${name}': datatype ${datatype} is not supported as raw contents`)
  if (b.length % r.size !== 0) throw new InvalidInputError(`input '${name}': ${b.length} raw bytes are not a whole number of ${datatype} values`)
  const out = new Array<unknown>(b.length / r.size)
  for (let i = 0; i < out.length; i++) out[i] = r.read(b, i * r.size)
  return out
}

/** A decoded ModelInferRequest in the REST body's shape, so parseInferenceRequest validates both transports alike. */
function restBody (m: Json): Json {
  const raw = (m.rawInputContents as Buffer[] | undefined) ?? []
  const inputs = ((m.inputs as Json[] | undefined) ?? []).map((t, i) => {
    const name = String(t.name ?? '')
    const field = CONTENTS_FIELD[String(t.datatype)]
    const contents = (t.contents as Record<string, unknown[]> | undefined) ?? {}
    let data: unknown[] = raw.length > 0 ? rawData(name, String(t.datatype), raw[i] ?? Buffer.alloc(0)) : (field === undefined ? [] : contents[field] ?? [])
    if (t.datatype === 'BYTES' && raw.length === 0) data = data.map(d => Buffer.isBuffer(d) ? d.toString('utf8') : d)
    return { name, datatype: t.datatype, shape: (t.shape as number[] | undefined) ?? [], data }
  })
  const outputs = (m.outputs as Json[] | undefined)?.map(o => ({ name: o.name }))
  return { ...(m.id ? { id: m.id } : {}), inputs, ...(outputs !== undefined && outputs.length > 0 ? { outputs } : {}) }
}

function status (code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() })
}

/** Starts an OIP v2 gRPC server for one model version (h2c on loopback by default). */
export async function serveGrpc (options: ServeOptions): Promise<ScorerGrpcServer> {
  const { name, version, predict, host = DEFAULT_HOST, port = 0, ready = () => true, platform = DEFAULT_PLATFORM, inputs, outputs, maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options
  if (typeof name !== 'string' || name === '') throw new TypeError('serveGrpc: name must be a non-empty string')
  if (typeof predict !== 'function') throw new TypeError('serveGrpc: predict must be a function')
  const T = (n: string): ReturnType<typeof messageType> => messageType(n)
  const enc = (type: string, v: Json): Buffer => Buffer.from(T(type).encode(T(type).fromObject(v)).finish())
  const dec = (type: string, b: Buffer): Json => T(type).toObject(T(type).decode(b), { longs: Number, defaults: true, arrays: true }) as Json
  const known = (model: unknown, v: unknown): boolean => model === name && (v === '' || v === undefined || v === version)
  type Handler = (req: Json, md: grpc.Metadata) => Promise<[string, Json]> | [string, Json]
  const unary = (reqType: string, handler: Handler) => (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>): void => {
    let req: Json
    try {
      req = dec(reqType, call.request)
    } catch (err) {
      return cb(status(grpc.status.INVALID_ARGUMENT, `malformed ${reqType}: ${(err as Error).message}`))
    }
    Promise.resolve().then(() => handler(req, call.metadata)).then(([type, v]) => { cb(null, enc(type, v)) }, (err: unknown) => {
      if ((err as grpc.ServiceError).code !== undefined) return cb(err as grpc.ServiceError)
      cb(status(err instanceof InvalidInputError ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL, err instanceof Error ? err.message : String(err)))
    })
  }
  const notFound = (req: Json): grpc.ServiceError => status(grpc.status.NOT_FOUND, `model '${String(req.name ?? req.modelName)}'${req.version || req.modelVersion ? ` version '${String(req.version || req.modelVersion)}'` : ''} not found`)
  const metadata = { name, versions: [version], platform, inputs: inputs?.map(({ name, datatype, shape }) => ({ name, datatype, shape })) ?? [], outputs: outputs?.map(({ name, datatype, shape }) => ({ name, datatype, shape })) ?? [] }

  const infer: Handler = async (req, md) => {
    if (!known(req.modelName, req.modelVersion)) throw notFound(req)
    if (!ready()) throw status(grpc.status.UNAVAILABLE, `model '${name}' is not ready`)
    const parsed = parseInferenceRequest(restBody(req), inputs)
    const idHeader = md.get('x-request-id')[0]
    const ctx: PredictContext = { id: parsed.id ?? (typeof idHeader === 'string' ? idHeader : undefined), parameters: parsed.parameters, version }
    let result: Tensor[] = await predict(parsed.inputs, ctx)
    if (parsed.outputNames !== undefined) {
      result = parsed.outputNames.map((wanted) => {
        const found = result.find(t => t.name === wanted)
        if (found === undefined) throw new InvalidInputError(`unknown output '${wanted}'`)
        return found
      })
    }
    const outs = result.map(t => ({ name: t.name, datatype: t.datatype, shape: t.shape, contents: { [CONTENTS_FIELD[t.datatype] ?? 'fp64Contents']: t.datatype === 'BYTES' ? (t.data as string[]).map(s => Buffer.from(s)) : t.data } }))
    return ['ModelInferResponse', { modelName: name, modelVersion: version, id: ctx.id ?? '', outputs: outs }]
  }

  const server = new grpc.Server({ 'grpc.max_receive_message_length': maxBodyBytes, 'grpc.enable_channelz': 0 })
  const identity = (b: Buffer): Buffer => b
  const def = (m: string): grpc.MethodDefinition<Buffer, Buffer> => ({ path: rpcPath(m), requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity })
  const methods: Record<string, [string, Handler]> = {
    ServerLive: ['ServerLiveRequest', () => ['ServerLiveResponse', { live: true }]],
    ServerReady: ['ServerReadyRequest', () => ['ServerReadyResponse', { ready: ready() }]],
    ServerMetadata: ['ServerMetadataRequest', () => ['ServerMetadataResponse', { name: SERVER_NAME, version: SERVER_VERSION, extensions: [] }]],
    ModelReady: ['ModelReadyRequest', (r) => { if (!known(r.name, r.version)) throw notFound(r); return ['ModelReadyResponse', { ready: ready() }] }],
    ModelMetadata: ['ModelMetadataRequest', (r) => { if (!known(r.name, r.version)) throw notFound(r); return ['ModelMetadataResponse', metadata] }],
    ModelInfer: ['ModelInferRequest', infer]
  }
  server.addService(Object.fromEntries(Object.keys(methods).map(m => [m, def(m)])), Object.fromEntries(Object.entries(methods).map(([m, [t, h]]) => [m, unary(t, h)])) as grpc.UntypedServiceImplementation)
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => { if (err === null) resolve(p); else reject(err) })
  })
  tuneServer(server)
  const urlHost = host.includes(':') ? `[${host}]` : host
  let closing: Promise<void> | undefined
  return {
    url: `grpc://${urlHost}:${bound}`,
    port: bound,
    close () {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => { server.forceShutdown(); resolve() }, CLOSE_GRACE_MS)
        force.unref()
        server.tryShutdown(() => { clearTimeout(force); resolve() })
      })
      return closing
    }
  }
}
