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
  requestBody: Buffer | null
  responseBody: Buffer | null
}

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
