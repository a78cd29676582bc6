/**
 * The outcome of one gRPC request, as the observers (metrics, rollups, the
 * sampler, the release controller) read every outcome. It holds the protobuf
 * messages as they passed through; only an observer that reads a body (a
 * sampled record) has it decoded, to the REST protocol's JSON, so records of
 * both transports look alike. That decode runs in the observer, after the
 * answer was sent; a request that is not sampled never decodes anything.
 */
import { inferMessageToJson } from '../../proto/oip-proto.js'
import type { RequestKind, RequestOutcome, Traffic } from '../observe/outcome.js'
import { scanFields } from '../proxy/oip-wire.js'

/** Field of raw tensor contents in ModelInferResponse. */
const RAW_OUTPUT_FIELD = 6

export class GrpcOutcome implements RequestOutcome {
  version: string | null = null
  replica: string | null = null
  status = 0
  errorCode: string | null = null
  readonly startedAt = Date.now()
  totalMs = 0
  upstreamMs = 0
  fallback = false
  fallbackFrom: string | null = null
  /** The calling application (access control); '' without. */
  application = ''
  /** The model's sticky seed in the snapshot that routed the call (the ledger's bucket). */
  seed: number | undefined = undefined
  /** ModelMetadata calls are 'metadata': rollups and canary analysis count scoring only. */
  kind: RequestKind = 'infer'
  readonly requestHeaderLength = -1
  readonly requestEncoding = null
  readonly responseHeaderLength = -1
  /** The answer's ModelInferResponse as the model sent it (infer calls that succeeded). */
  response: Buffer | null = null
  #requestJson: Buffer | null | undefined
  #responseJson: Buffer | null | undefined

  constructor (
    readonly requestId: string,
    readonly model: string,
    readonly release: string | null,
    readonly stickyKey: string | undefined,
    readonly traffic: Traffic,
    /** The ModelInferRequest as the client sent it; null for other calls. */
    readonly request: Buffer | null,
    readonly requestRawBytes: number
  ) {}

  get requestBody (): Buffer | null {
    if (this.#requestJson === undefined) this.#requestJson = toJson(this.request, false)
    return this.#requestJson
  }

  get responseBody (): Buffer | null {
    if (this.#responseJson === undefined) this.#responseJson = toJson(this.response, true)
    return this.#responseJson
  }

  get responseRawBytes (): number {
    if (this.response === null) return 0
    try {
      return scanFields(this.response, RAW_OUTPUT_FIELD).rawBytes
    } catch {
      return 0
    }
  }
}

function toJson (message: Buffer | null, response: boolean): Buffer | null {
  if (message === null) return null
  try {
    return Buffer.from(JSON.stringify(inferMessageToJson(message, response)))
  } catch {
    // A message the model sent that protobufjs cannot read is recorded without a body, not as a failure of the request.
    return null
  }
}
