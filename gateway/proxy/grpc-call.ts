/**
 * One unary gRPC call to a replica (a `grpc://` or `grpcs://` URL), on
 * @grpc/grpc-js with identity (de)serializers: the message goes out as the
 * bytes it is and the answer comes back as bytes, never decoded here.
 *
 * A status the model sent (OK or not) is an answer and is passed on. What
 * grpc-js produces itself is a failure, classified for the retry policy of
 * upstream.ts: no connection (the call never left the gateway), a connection
 * dropped under the call (it may have reached the model), the deadline.
 */
import * as grpc from '@grpc/grpc-js'
import type { ResolvedModel } from '../config/load.js'
import type { Replica } from './replica.js'
import { Exchange, type Attempt, type SendRequest } from './send.js'
import { ClientClosed, GRPC_DEADLINE, GRPC_DROPPED, GRPC_NOT_CONNECTED, UpstreamFailure } from './upstream.js'

export interface GrpcAnswer {
  /** gRPC status code the model answered with (0: OK). */
  code: grpc.status
  details: string
  /** The response message on OK, else null. */
  message: Buffer | null
  /** The model's trailing metadata (null when none came). */
  trailers: grpc.Metadata | null
}

const identity = (b: Buffer): Buffer => b
/** Reconnect quickly after a replica restarts; health checks and ejection keep traffic off it meanwhile. */
const MAX_RECONNECT_BACKOFF_MS = 5_000

/** The replica's channel (one HTTP/2 connection, multiplexed), made on first use with the model's limits. */
export function grpcChannel (replica: Replica, cfg: Pick<ResolvedModel, 'maxResponseBytes' | 'connectTimeoutMs'>): grpc.Client {
  return replica.channel(r => new grpc.Client(r.host, r.url.startsWith('grpcs:') ? grpc.credentials.createSsl() : grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': cfg.maxResponseBytes,
    'grpc.max_send_message_length': -1,
    'grpc.initial_reconnect_backoff_ms': Math.min(cfg.connectTimeoutMs, 1_000),
    'grpc.max_reconnect_backoff_ms': MAX_RECONNECT_BACKOFF_MS,
    // The gateway's own retry policy applies (send.ts); grpc-js must not send a call twice on its own.
    'grpc.enable_retries': 0,
    // Per-call channelz statistics serve an introspection service nobody asks here.
    'grpc.enable_channelz': 0
  }))
}

/** A call in flight; `cancel()` aborts it (the client went away). */
export class GrpcCall implements Attempt<GrpcAnswer> {
  readonly done: Promise<GrpcAnswer>
  #call: grpc.ClientUnaryCall | undefined
  #cancelled = false
  #started = false
  #trailers: grpc.Metadata | null = null

  constructor (client: grpc.Client, path: string, message: Buffer, metadata: grpc.Metadata, deadline: number) {
    const ms = Math.max(1, deadline - performance.now())
    this.done = new Promise((resolve, reject) => {
      const call = client.makeUnaryRequest<Buffer, Buffer>(path, identity, identity, message, metadata, { deadline: Date.now() + ms }, (err, value) => {
        if (err === null || err === undefined) {
          resolve({ code: grpc.status.OK, details: '', message: value ?? Buffer.alloc(0), trailers: this.#trailers })
          return
        }
        const failure = this.#failure(err, deadline)
        if (failure !== null) reject(failure)
        else resolve({ code: err.code, details: err.details, message: null, trailers: err.metadata })
      })
      call.on('metadata', () => { this.#started = true })
      call.on('status', (s: grpc.StatusObject) => { this.#trailers = s.metadata })
      this.#call = call
    })
  }

  cancel (): void {
    this.#cancelled = true
    this.#call?.cancel()
  }

  /** null: the status came from the model (an answer). */
  #failure (err: grpc.ServiceError, deadline: number): UpstreamFailure | null {
    if (this.#cancelled) return new UpstreamFailure(new ClientClosed(), this.#started)
    const d = err.details ?? ''
    let code: string | null = null
    if (err.code === grpc.status.UNAVAILABLE && (d.includes('No connection established') || d === 'Stream refused by server')) code = GRPC_NOT_CONNECTED
    else if ((err.code === grpc.status.UNAVAILABLE && d === 'Connection dropped') || (err.code === grpc.status.INTERNAL && d.startsWith('Received RST_STREAM'))) code = GRPC_DROPPED
    else if (err.code === grpc.status.DEADLINE_EXCEEDED && performance.now() >= deadline - 1) code = GRPC_DEADLINE
    if (code === null) return null
    return new UpstreamFailure(Object.assign(new Error(d), { code }), this.#started)
  }
}

/** Statuses that say the replica itself is in trouble (like a 5xx): outlier detection counts them. */
const REPLICA_TROUBLE = new Set<number>([grpc.status.UNKNOWN, grpc.status.INTERNAL, grpc.status.UNAVAILABLE, grpc.status.DATA_LOSS])

export interface GrpcSendRequest extends SendRequest {
  /** Full RPC path, e.g. /inference.GRPCInferenceService/ModelInfer. */
  readonly path: string
  readonly message: Buffer
  readonly metadata: grpc.Metadata
}

/** The gRPC exchange: a unary call on the replica's channel, with send.ts's policies around it. */
export class GrpcExchange extends Exchange<GrpcAnswer> {
  declare readonly req: GrpcSendRequest

  constructor (req: GrpcSendRequest, first: Replica, feedback: ConstructorParameters<typeof Exchange>[2]) {
    super(req, first, feedback)
  }

  protected attempt (replica: Replica, deadline: number): Attempt<GrpcAnswer> {
    const r = this.req
    return new GrpcCall(grpcChannel(replica, r.model.cfg), r.path, r.message, r.metadata, deadline)
  }

  protected failed (answer: GrpcAnswer): boolean {
    return REPLICA_TROUBLE.has(answer.code)
  }
}
