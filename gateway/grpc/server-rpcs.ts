/**
 * The calls the gateway answers itself (OIP "Health" and "Server Metadata"):
 * ServerLive, ServerReady, ServerMetadata and ModelReady, from the lifecycle
 * and the routing snapshot, as REST's /v2/health/* and /v2/models/{m}/ready do
 * (server/readiness.ts, counting the replicas that serve gRPC). Small answers,
 * written with oip-wire's encoder.
 */
import { Metadata, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js'
import { randomUUID } from 'node:crypto'
import { GATEWAY_NAME, REQUEST_ID_HEADER } from '../config/defaults.js'
import { GATEWAY_VERSION } from '../version.js'
import { errors, GatewayError } from '../errors.js'
import type { Router } from '../proxy/router.js'
import { encodeMessage, scanFields, WireError } from '../proxy/oip-wire.js'
import { modelReadiness, versionReadiness } from '../server/readiness.js'
import type { Lifecycle } from '../server/model-proxy.js'
import { grpcError } from './status.js'

type Call = ServerUnaryCall<Buffer, Buffer>
type Callback = sendUnaryData<Buffer>

const LIVE = encodeMessage([[1, true]])
const SERVER_METADATA = encodeMessage([[1, GATEWAY_NAME], [2, GATEWAY_VERSION], [3, []]])

export function serverRpcs (router: Router, lifecycle: Lifecycle): Record<'ServerLive' | 'ServerReady' | 'ServerMetadata' | 'ModelReady', (call: Call, cb: Callback) => void> {
  return {
    ServerLive: (call, cb) => { answer(call, cb, LIVE) },
    ServerReady: (call, cb) => { answer(call, cb, encodeMessage([[1, !lifecycle.draining]])) },
    ServerMetadata: (call, cb) => { answer(call, cb, SERVER_METADATA) },
    ModelReady: (call, cb) => {
      try {
        const { name, version } = scanFields(call.request, 0)
        const model = router.snapshot.models.get(name)
        if (model === undefined) throw errors.unknownModel(name)
        if (version !== '' && !model.versions.has(version)) throw errors.unknownVersion(name, version)
        const r = version === '' ? modelReadiness(router.snapshot, lifecycle, name, 'grpc') : versionReadiness(router.snapshot, lifecycle, name, version, 'grpc')
        answer(call, cb, encodeMessage([[1, r.status === 200]]))
      } catch (err) {
        const e = err instanceof WireError ? new GatewayError('GW_MALFORMED_PROTOBUF', { detail: `ModelReadyRequest: ${err.message}` }) : err as GatewayError
        cb(grpcError(e, requestIdOf(call), null))
      }
    }
  }
}

/** Answers a call the gateway does not serve (ModelStreamInfer, the repository extension). */
export function notImplemented (method: string, detail: string): (call: { metadata: Metadata, emit?: (e: string, v: unknown) => void }, cb?: Callback) => void {
  return (call, cb) => {
    const e = grpcError(new GatewayError('GW_NOT_IMPLEMENTED', { method, detail }), requestIdOf(call), null)
    if (cb !== undefined) cb(e)
    else call.emit?.('error', e)
  }
}

function answer (call: Call, cb: Callback, message: Buffer): void {
  const md = new Metadata()
  md.set(REQUEST_ID_HEADER, requestIdOf(call))
  call.sendMetadata(md)
  cb(null, message)
}

function requestIdOf (call: { metadata: Metadata }): string {
  const v = call.metadata.get(REQUEST_ID_HEADER)[0]
  return typeof v === 'string' && v.length > 0 && v.length <= 128 ? v : randomUUID()
}
