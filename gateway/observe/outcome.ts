/**
 * What the data plane reports about every request once it is answered. Observers
 * (metrics, rollups, the sampler) must return at once: they may only update
 * counters or push to a bounded buffer, never wait on I/O.
 */
export interface RequestOutcome {
  requestId: string
  model: string
  /** The version that served (or was chosen to serve) the request; null when none was chosen. */
  version: string | null
  replica: string | null
  /** Release in force, e.g. "v1>v2#3". */
  release: string | null
  status: number
  /** GW_… code when the gateway produced the error; null otherwise. */
  errorCode: string | null
  /** Epoch milliseconds when the request arrived. */
  startedAt: number
  totalMs: number
  /** Time spent waiting on the replica (0 when no upstream call was made). */
  upstreamMs: number
  /** True when the stable version answered because the chosen one had no healthy replica. */
  fallback: boolean
  /** With fallback: the version that was chosen first (and had no healthy replica); null otherwise. */
  fallbackFrom?: string | null
  /**
   * The raw sticky key, in-process only: observers that record it must hash it
   * (records carry a hash, never the key).
   */
  stickyKey: string | undefined
  /** The model's sticky seed in the snapshot that routed the request (the ledger derives the user's bucket from it). */
  seed?: number
  /** The request's segment, for models that declare segments; null otherwise. */
  segment?: string | null
  /** The request body: decoded when the gateway inflated a compressed one to validate it. */
  requestBody: Buffer | null
  responseBody: Buffer | null
  /** Live user traffic, or a batch job's (`x-gateway-traffic: batch`, honoured only from callers allowed to send it). */
  traffic: Traffic
  /**
   * A scoring request (`POST …/infer`) or a metadata call (`GET /v2/models/{m}`
   * and its version form), which goes through the same path to a version but
   * scores nothing: rollups, records and canary analysis count scoring only.
   */
  kind: RequestKind
  /** The application that called (access control); '' or absent when access control is off or the caller is unknown. */
  application?: string
  /** Binary tensor extension: length of the JSON part of the request body, -1 when not used. */
  requestHeaderLength: number
  /** Content-Encoding ('gzip' | 'deflate') when requestBody is still encoded; null when it is plain. */
  requestEncoding: string | null
  /** Binary tensor extension on the model's response: length of its JSON part, -1 when not used. */
  responseHeaderLength: number
  /** Bytes of raw tensor contents kept out of requestBody (gRPC raw_input_contents); recorded by size only. */
  readonly requestRawBytes?: number
  /** Bytes of raw tensor contents kept out of responseBody (gRPC raw_output_contents). */
  readonly responseRawBytes?: number
}

export type Traffic = 'live' | 'batch'
export type RequestKind = 'infer' | 'metadata'

export interface RequestObserver {
  observe (o: RequestOutcome): void
}

/** Calls several observers; one that throws does not stop the others or the request. */
export class ObserverChain implements RequestObserver {
  readonly #observers: RequestObserver[] = []
  onError: (err: unknown) => void = () => {}

  add (o: RequestObserver): void {
    this.#observers.push(o)
  }

  observe (o: RequestOutcome): void {
    for (const obs of this.#observers) {
      try {
        obs.observe(o)
      } catch (err) {
        this.onError(err)
      }
    }
  }
}
