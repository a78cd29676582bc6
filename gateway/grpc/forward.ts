/**
 * The gRPC request path: decide -> send -> answer, as on REST
 * (server/model-proxy.ts), for the two calls that reach a model: ModelInfer
 * and ModelMetadata. Only the model name, version and id are read from the
 * message (proxy/oip-wire.ts); the routing decision is the one pure function
 * (routing/decide.ts); the call goes out through send.ts's policies on a gRPC
 * replica. A version that lives upstream under another name or number has the
 * message's name and version rewritten on the way out and the answer's on the
 * way back; everything else passes as the bytes it came as.
 */
import { randomUUID } from 'node:crypto'
import { Metadata, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js'
import type { Logger } from 'pino'
import { REQUEST_ID_HEADER, VERSION_HEADER, FALLBACK_HEADER, TRAFFIC_HEADER } from '../config/defaults.js'
import { errors, GatewayError } from '../errors.js'
import type { Model, Router, Version } from '../proxy/router.js'
import type { RequestObserver } from '../observe/outcome.js'
import type { ReplicaFeedback } from '../proxy/feedback.js'
import { decide, explicitVersionOf } from '../routing/decide.js'
import { stickyKeyFrom } from '../proxy/headers.js'
import type { WireError} from '../proxy/oip-wire.js';
import { rewriteNameVersion, scanFields, type WireFields } from '../proxy/oip-wire.js'
import { GrpcExchange, type GrpcAnswer } from '../proxy/grpc-call.js'
import { ThrottledLog } from '../observe/throttled-log.js'
import { rpcPath } from '../../proto/oip-proto.js'
import type { Lifecycle } from '../server/model-proxy.js'
import { grpcError, httpStatusOf } from './status.js'
import { GrpcOutcome } from './outcome.js'
import type { AccessGate, Caller } from '../access/gate.js'

export interface GrpcForwardDeps {
  router: Router
  observer: RequestObserver
  feedback: ReplicaFeedback
  logger: Logger
  lifecycle: Lifecycle
  /** Data-plane access control (access.enabled): the same gate as on REST, the credential from `authorization` metadata. */
  access?: AccessGate | undefined
}

type Call = ServerUnaryCall<Buffer, Buffer>
type Callback = sendUnaryData<Buffer>

/** What differs between the two forwarded calls. */
interface Rpc {
  readonly method: 'ModelInfer' | 'ModelMetadata'
  readonly path: string
  readonly what: string
  /** Field of raw tensor bytes in the request (0: none). */
  readonly rawField: number
  /** The answer with the gateway's name and version, for a version mapped upstream. */
  readonly rewriteAnswer: boolean
}

const INFER: Rpc = { method: 'ModelInfer', path: rpcPath('ModelInfer'), what: 'ModelInferRequest', rawField: 7, rewriteAnswer: true }
const METADATA: Rpc = { method: 'ModelMetadata', path: rpcPath('ModelMetadata'), what: 'ModelMetadataRequest', rawField: 0, rewriteAnswer: true }
const MAX_REQUEST_ID_LENGTH = 128

export class GrpcForwarder {
  readonly #d: GrpcForwardDeps
  readonly #throttle = new ThrottledLog()

  constructor (deps: GrpcForwardDeps) {
    this.#d = deps
  }

  readonly infer = (call: Call, callback: Callback): void => { void this.#handle(INFER, call, callback) }
  readonly metadata = (call: Call, callback: Callback): void => { void this.#handle(METADATA, call, callback) }

  async #handle (rpc: Rpc, call: Call, callback: Callback): Promise<void> {
    const d = this.#d
    const start = performance.now()
    const md = call.metadata
    let scan: WireFields
    try {
      scan = scanFields(call.request, rpc.rawField)
    } catch (err) {
      const e = new GatewayError('GW_MALFORMED_PROTOBUF', { detail: `${rpc.what}: ${(err as WireError).message}` }, err)
      this.#reject(call, callback, e, '', requestIdOf(md, ''), start)
      return
    }
    const requestId = requestIdOf(md, scan.id)
    // Who may call comes first, as on REST (server/model-proxy.ts).
    let caller: Caller | null = null
    if (d.access !== undefined) {
      let c = d.access.authenticate({ authorization: first(md, 'authorization') })
      if (c instanceof Promise) c = await c
      if (c instanceof GatewayError) {
        this.#reject(call, callback, c, scan.name, requestId, start)
        return
      }
      caller = c
      // The credential stays here; a traffic mark the caller may not set is not passed on.
      md.remove('authorization')
      if (!caller.batch) md.remove(TRAFFIC_HEADER)
    }
    const model = d.router.snapshot.models.get(scan.name)
    if (model === undefined) {
      this.#reject(call, callback, errors.unknownModel(scan.name), scan.name, requestId, start)
      return
    }
    const cfg = model.cfg
    const stickyKey = caller?.stickyKey ?? stickyKeyFrom(cfg.stickyHeader === undefined ? undefined : first(md, cfg.stickyHeader), cfg.stickyCookie === undefined ? undefined : first(md, 'cookie'), cfg.stickyCookie)
    const outcome = new GrpcOutcome(requestId, model.name, model.release, stickyKey, first(md, TRAFFIC_HEADER) === 'batch' ? 'batch' : 'live', rpc === INFER ? call.request : null, scan.rawBytes)
    outcome.seed = model.seed
    if (rpc !== INFER) outcome.kind = 'metadata'
    if (caller !== null) outcome.application = caller.application
    let exchange: GrpcExchange | null = null
    const onCancel = (): void => { exchange?.cancel() }
    call.on('cancelled', onCancel)
    try {
      const explicitVersion = scan.version === '' ? undefined : scan.version
      const headerVersion = first(md, VERSION_HEADER)
      if (caller !== null) {
        const refused = d.access!.admit(caller, model.name, explicitVersionOf(model, { explicitVersion, headerVersion }), rpc === INFER)
        if (refused !== null) throw refused
      }
      // decide
      if (call.request.length > cfg.bodyLimitBytes) throw errors.bodyTooLarge(cfg.bodyLimitBytes, model.name)
      const decision = decide(model, { stickyKey, explicitVersion, headerVersion, transport: 'grpc' })
      if (decision.kind === 'unknown-version') throw errors.unknownVersion(model.name, decision.version)
      const version = decision.version
      outcome.version = version.name
      if (decision.kind === 'no-replica') throw noReplica(model, version)
      if (decision.fallbackFrom !== null) this.#fellBack(outcome, decision.fallbackFrom, version)

      // send
      md.set(REQUEST_ID_HEADER, requestId)
      const message = scan.name === version.upstreamModel && scan.version === version.upstreamVersion
        ? call.request
        : rewriteNameVersion(call.request, scan, version.upstreamModel, version.upstreamVersion)
      exchange = new GrpcExchange({ model, version, start, clientDeadline: clientDeadline(call), path: rpc.path, message, metadata: md }, decision.replica, d.feedback)
      const upStart = performance.now()
      const { response, replica } = await exchange.run()
      outcome.upstreamMs = performance.now() - upStart
      outcome.replica = replica.url
      outcome.status = httpStatusOf(response.code)

      // answer
      answerCall(rpc, call, callback, response, model, version, outcome)
    } catch (err) {
      this.#failed(err, callback, outcome)
    } finally {
      call.off('cancelled', onCancel)
      outcome.totalMs = performance.now() - start
      d.observer.observe(outcome)
    }
  }

  /** A call that failed after its model was known: logged (throttled) when the gateway or the model is at fault, counted, answered. */
  #failed (err: unknown, callback: Callback, outcome: GrpcOutcome): void {
    const e = err instanceof GatewayError ? err : errors.internal(err)
    const { model, requestId } = outcome
    if (e.statusCode >= 500 && e.code !== 'GW_CLIENT_CLOSED') {
      const suppressed = this.#throttle.admit(`${e.code}:${model}:${outcome.version ?? ''}`)
      if (suppressed >= 0) this.#d.logger.warn({ code: e.code, model, version: outcome.version, replica: e.replica, requestId, err: e.cause ?? e, suppressed, transport: 'grpc' }, e.message)
    }
    outcome.status = e.statusCode
    outcome.errorCode = e.code
    if (e.replica !== undefined) outcome.replica = e.replica
    // A cancelled call has no one to answer; grpc-js drops a callback after cancellation anyway.
    if (e.code !== 'GW_CLIENT_CLOSED') callback(grpcError(e, requestId, outcome.version))
  }

  /** A request refused before a version was chosen; still observed, so every request is counted. */
  #reject (call: Call, callback: Callback, e: GatewayError, model: string, requestId: string, start: number): void {
    callback(grpcError(e, requestId, null))
    const outcome = new GrpcOutcome(requestId, model, null, undefined, first(call.metadata, TRAFFIC_HEADER) === 'batch' ? 'batch' : 'live', null, 0)
    outcome.status = e.statusCode
    outcome.errorCode = e.code
    outcome.totalMs = performance.now() - start
    this.#d.observer.observe(outcome)
  }

  #fellBack (outcome: GrpcOutcome, from: Version, to: Version): void {
    const suppressed = this.#throttle.admit(`fallback:${to.model}:${from.name}`)
    if (suppressed >= 0) this.#d.logger.warn({ model: to.model, version: from.name, servedBy: to.name, requestId: outcome.requestId, suppressed, transport: 'grpc' }, 'version has no healthy replica; served by the stable version')
    outcome.fallback = true
    outcome.fallbackFrom = from.name
  }
}

/** The model's answer to the client, with the gateway's ids (and name and version, for a version mapped upstream). */
function answerCall (rpc: Rpc, call: Call, callback: Callback, response: GrpcAnswer, model: Model, version: Version, outcome: GrpcOutcome): void {
  if (response.code !== status.OK) {
    const trailers = response.trailers ?? new Metadata()
    answerIds(trailers, outcome.requestId, version.name, outcome.fallback)
    callback({ code: response.code, details: response.details, metadata: trailers })
    return
  }
  const body = rpc.rewriteAnswer && version.mapped ? rewriteAnswer(response.message!, model.name, version.name) : response.message!
  if (rpc === INFER) outcome.response = response.message
  const headers = new Metadata()
  answerIds(headers, outcome.requestId, version.name, outcome.fallback)
  call.sendMetadata(headers)
  callback(null, body)
}

function noReplica (model: Model, version: Version): GatewayError {
  const none = version.byTransport.grpc.length === 0
  return new GatewayError('GW_NO_HEALTHY_REPLICA', { model: model.name, version: version.name, detail: none ? 'that serves gRPC (its replicas have http(s) URLs; add grpc:// ones)' : undefined })
}

/** The answer's model name and version as the gateway names them (fields 1 and 2 of both answers). */
function rewriteAnswer (message: Buffer, model: string, version: string): Buffer {
  try {
    return rewriteNameVersion(message, scanFields(message, 0), model, version)
  } catch {
    // The model's message is passed on as it came when it cannot be read; the client's decoder will say what is wrong.
    return message
  }
}

function answerIds (md: Metadata, requestId: string, version: string, fallback: boolean): void {
  md.set(REQUEST_ID_HEADER, requestId)
  md.set(VERSION_HEADER, version)
  if (fallback) md.set(FALLBACK_HEADER, 'stable')
}

function first (md: Metadata, key: string): string | undefined {
  const v = md.get(key)
  return v.length === 0 || typeof v[0] !== 'string' ? undefined : v[0]
}

/** The client's x-request-id, else the message's id, else a new UUID. */
function requestIdOf (md: Metadata, id: string): string {
  const m = first(md, REQUEST_ID_HEADER)
  if (m !== undefined && m.length !== 0 && m.length <= MAX_REQUEST_ID_LENGTH) return m
  return id.length !== 0 && id.length <= MAX_REQUEST_ID_LENGTH ? id : randomUUID()
}

/** The call's deadline (grpc-timeout) on performance.now()'s clock; undefined without one. */
function clientDeadline (call: Call): number | undefined {
  const dl = call.getDeadline()
  const at = dl instanceof Date ? dl.getTime() : dl
  return Number.isFinite(at) ? performance.now() + (at - Date.now()) : undefined
}
