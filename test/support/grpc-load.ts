import { messageType } from '../../proto/oip-proto.js'
import { OipGrpcClient } from './grpc-client.js'

// A steady stream of ModelInfer calls over gRPC with `concurrency` in flight,
// bounded in count and time, until stopped. Each call may carry a sticky user
// (metadata x-user-id) and its own request body. Answers are counted by gRPC
// status, by the gateway's error code (trailer) and by serving version
// (x-model-version in the response metadata).

export interface GrpcLoadOptions {
  target: string
  model: string
  concurrency: number
  maxRequests: number
  maxMs: number
  /** The n-th request's input features (default: fixed ones). */
  features?: (n: number) => number[]
  /** Send x-user-id: user-<n>. */
  sticky?: boolean
}

export interface GrpcLoadProgress {
  sent: number
  ok: number
  /** gRPC status code -> count. */
  codes: Map<number, number>
  /** Gateway error code (x-gateway-error-code trailer) -> count. */
  errorCodes: Map<string, number>
  versions: Map<string, number>
}

export interface GrpcLoad {
  progress: GrpcLoadProgress
  stop(): Promise<GrpcLoadProgress>
}

const bump = <K>(m: Map<K, number>, k: K): void => { m.set(k, (m.get(k) ?? 0) + 1) }

export function startGrpcLoad (o: GrpcLoadOptions): GrpcLoad {
  const client = new OipGrpcClient(o.target)
  const type = messageType('ModelInferRequest')
  const encode = (n: number): Buffer => Buffer.from(type.encode(type.fromObject({
    modelName: o.model,
    inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 4], contents: { fp64Contents: o.features?.(n) ?? [620, 200, 7, 265] } }]
  })).finish())
  const fixed = o.features === undefined ? encode(0) : null
  const progress: GrpcLoadProgress = { sent: 0, ok: 0, codes: new Map(), errorCodes: new Map(), versions: new Map() }
  const deadline = Date.now() + o.maxMs
  let stopped = false
  const worker = async (): Promise<void> => {
    while (!stopped && progress.sent < o.maxRequests && Date.now() < deadline) {
      const n = progress.sent++
      const a = await client.raw('ModelInfer', fixed ?? encode(n), o.sticky === true ? { metadata: { 'x-user-id': `user-${n}` } } : {})
      bump(progress.codes, a.code)
      if (a.ok) progress.ok++
      const code = a.trailers['x-gateway-error-code']
      if (code !== undefined) bump(progress.errorCodes, code)
      const v = a.headers['x-model-version'] ?? a.trailers['x-model-version']
      if (v !== undefined) bump(progress.versions, v)
    }
  }
  const running = Promise.all(Array.from({ length: o.concurrency }, worker))
  return {
    progress,
    async stop () {
      stopped = true
      await running
      client.close()
      return progress
    }
  }
}
