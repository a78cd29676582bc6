import * as grpc from '@grpc/grpc-js'
import { messageType, rpcPath } from '../../proto/oip-proto.js'
import { eventually } from './eventually.js'

// A small Node OIP gRPC client for tests that need what the Python clients do
// not show: response metadata and trailers, deadlines, cancellation, many calls
// from one process. Messages are encoded with the vendored proto (protobufjs).

type Json = Record<string, unknown>

export interface GrpcAnswer {
  ok: boolean
  /** gRPC status code (0: OK). */
  code: number
  details: string
  /** The decoded response (ok only). */
  message: Json | null
  /** Initial metadata (headers) and trailing metadata, as plain objects of first values. */
  headers: Record<string, string>
  trailers: Record<string, string>
}

export interface CallOptions {
  metadata?: Record<string, string>
  /** Milliseconds from now (sent as grpc-timeout). */
  timeoutMs?: number
  /** Called with the call object once it started (to cancel it). */
  started?: (call: grpc.ClientUnaryCall) => void
}

const identity = (b: Buffer): Buffer => b
const plain = (md: grpc.Metadata | null): Record<string, string> =>
  Object.fromEntries(Object.entries(md?.getMap() ?? {}).map(([k, v]) => [k, String(v)]))

export class OipGrpcClient {
  readonly #client: grpc.Client

  constructor (target: string) {
    this.#client = new grpc.Client(target.replace(/^grpc:\/\//, ''), grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 })
  }

  /** Any unary call of the service, with the request as a plain object (protobufjs field names). */
  call (method: string, request: Json, opts: CallOptions = {}): Promise<GrpcAnswer> {
    const reqType = messageType(`${method}Request`)
    const resType = messageType(`${method}Response`)
    return this.raw(method, Buffer.from(reqType.encode(reqType.fromObject(request)).finish()), opts).then(a => ({
      ...a,
      message: a.ok ? resType.toObject(resType.decode(a.raw!), { longs: Number, defaults: true, arrays: true }) as Json : null
    }))
  }

  /** A unary call with the request as bytes; the answer's bytes in `raw`. */
  raw (method: string, request: Buffer, opts: CallOptions = {}): Promise<GrpcAnswer & { raw: Buffer | null }> {
    const md = new grpc.Metadata()
    for (const [k, v] of Object.entries(opts.metadata ?? {})) md.set(k, v)
    const options: grpc.CallOptions = opts.timeoutMs === undefined ? {} : { deadline: Date.now() + opts.timeoutMs }
    return new Promise((resolve) => {
      let headers: grpc.Metadata | null = null
      let trailers: grpc.Metadata | null = null
      const call = this.#client.makeUnaryRequest<Buffer, Buffer>(rpcPath(method), identity, identity, request, md, options, (err, value) => {
        // The status (and so the trailers) is emitted after the callback for errors; read it on the next turn.
        setImmediate(() => {
          if (err === null || err === undefined) resolve({ ok: true, code: 0, details: '', message: null, raw: value ?? null, headers: plain(headers), trailers: plain(trailers) })
          else resolve({ ok: false, code: err.code, details: err.details, message: null, raw: null, headers: plain(headers), trailers: plain(trailers ?? err.metadata) })
        })
      })
      call.on('metadata', (m: grpc.Metadata) => { headers = m })
      call.on('status', (s: grpc.StatusObject) => { trailers = s.metadata })
      opts.started?.(call)
    })
  }

  close (): void {
    this.#client.close()
  }
}

/** Waits until the gateway's gRPC ModelReady says the model (version) is not ready: its health checks ran. */
export async function eventuallyNotReady (target: string, name: string, version = '', timeoutMs = 20_000): Promise<void> {
  const probe = new OipGrpcClient(target)
  try {
    await eventually(async () => {
      const a = await probe.call('ModelReady', { name, version })
      if (a.message?.ready !== false) throw new Error(`ModelReady ${name} ${version}: ${JSON.stringify(a.message ?? a.details)}`)
    }, { timeoutMs })
  } finally {
    probe.close()
  }
}

/** A ModelInferRequest object with one FP64 input `features` of shape [1, 4] (the fraud example's). */
export function fraudRequest (model: string, features: readonly number[], version = ''): Json {
  return { modelName: model, modelVersion: version, inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 4], contents: { fp64Contents: features } }] }
}
