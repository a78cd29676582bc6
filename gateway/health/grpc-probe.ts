/**
 * An active health check of a gRPC replica, over gRPC: ServerReady, or
 * ModelReady of the version's upstream name and number when the version is
 * mapped (the server being ready says nothing about one of its versions being
 * loaded), or ModelInfer with the configured scoring payload. Like the HTTP
 * probe, each uses a fresh connection with its own deadline, apart from the
 * replica's traffic channel.
 */
import * as grpc from '@grpc/grpc-js'
import { inferMessageToJson, inferRequestFromJson, rpcPath } from '../../proto/oip-proto.js'
import { encodeMessage } from '../proxy/oip-wire.js'
import type { Version } from '../proxy/router.js'
import { ProbeError, type Probe } from './http-probe.js'

export interface GrpcProbe {
  readonly path: string
  readonly message: Buffer
  /** What the answer must say: ready = true (field 1), or (infer) contain this text in its JSON form. */
  readonly expect: 'ready' | { contains: string | undefined }
}

const identity = (b: Buffer): Buffer => b
/** ModelReadyResponse / ServerReadyResponse with ready = true. */
const READY_TRUE = encodeMessage([[1, true]])

export function grpcProbeFor (version: Version, inferPayload: unknown, expectBodyContains: string | undefined): GrpcProbe {
  if (inferPayload !== undefined) {
    return { path: rpcPath('ModelInfer'), message: inferRequestFromJson(inferPayload as Record<string, unknown>, version.upstreamModel, version.upstreamVersion), expect: { contains: expectBodyContains } }
  }
  if (version.mapped) return { path: rpcPath('ModelReady'), message: encodeMessage([[1, version.upstreamModel], [2, version.upstreamVersion]]), expect: 'ready' }
  return { path: rpcPath('ServerReady'), message: Buffer.alloc(0), expect: 'ready' }
}

/** One probe on a new connection to `host` (host:port), failing after `timeoutMs`; the same Probe shape as an HTTP probe. */
export function sendGrpcProbe (host: string, tls: boolean, probe: GrpcProbe, timeoutMs: number): Probe {
  const client = new grpc.Client(host, tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure(), { 'grpc.enable_retries': 0 })
  const md = new grpc.Metadata()
  md.set('user-agent', 'model-gateway-health')
  let call: grpc.ClientUnaryCall | undefined
  const result = new Promise<{ status: number, body: string }>((resolve, reject) => {
    call = client.makeUnaryRequest<Buffer, Buffer>(probe.path, identity, identity, probe.message, md, { deadline: Date.now() + timeoutMs }, (err, value) => {
      if (err !== null && err !== undefined) {
        reject(new ProbeError(err.code === grpc.status.DEADLINE_EXCEEDED ? 'timeout' : err.code === grpc.status.CANCELLED ? 'aborted' : `${grpc.status[err.code] ?? err.code}: ${err.details}`))
        return
      }
      const problem = verdict(probe, value ?? Buffer.alloc(0))
      if (problem === null) resolve({ status: 200, body: '' })
      else reject(new ProbeError(problem))
    })
  }).finally(() => { client.close() })
  return { result, abort: () => { call?.cancel() } }
}

function verdict (probe: GrpcProbe, answer: Buffer): string | null {
  if (probe.expect === 'ready') return answer.equals(READY_TRUE) ? null : 'not ready'
  const want = probe.expect.contains
  if (want === undefined) return null
  try {
    return JSON.stringify(inferMessageToJson(answer, true)).includes(want) ? null : 'unexpected body'
  } catch {
    return 'unexpected body'
  }
}
