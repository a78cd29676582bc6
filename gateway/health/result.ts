/** One active health-check result. Travels through the scoring-log pipeline when one is configured. */
export interface HealthCheckResult {
  /** Epoch milliseconds when the probe started. */
  at: number
  instanceId: string
  model: string
  version: string
  replica: string
  /** 'http': GET of the health path; 'infer': a real scoring request. */
  kind: 'http' | 'infer'
  ok: boolean
  latencyMs: number
  /** HTTP status of the probe's response; null when none came. */
  status: number | null
  /** Why it failed ('timeout', 'ECONNREFUSED', 'status 503', 'unexpected body'); null when ok. */
  error: string | null
}

/** One row of GET /admin/health. */
export interface ReplicaHealth {
  model: string
  version: string
  replica: string
  healthy: boolean
  ejected: boolean
  /** Epoch ms when a passive ejection ends; null when not ejected. */
  ejectedUntil: number | null
  /** Consecutive failed active checks. */
  consecutiveCheckFailures: number
  /** Consecutive failures on live traffic. */
  consecutiveFailures: number
  ejections: number
  inflight: number
  checksEnabled: boolean
  lastCheck: { at: string, ok: boolean, latencyMs: number, status: number | null, error: string | null } | null
}

export interface HealthResultSink {
  record (r: HealthCheckResult): void
}

/** Hands each result to several sinks; one that throws does not stop the others. */
export class HealthSinkChain implements HealthResultSink {
  readonly #sinks: HealthResultSink[] = []
  onError: (err: unknown) => void = () => {}

  add (s: HealthResultSink): void {
    this.#sinks.push(s)
  }

  record (r: HealthCheckResult): void {
    for (const s of this.#sinks) {
      try {
        s.record(r)
      } catch (err) {
        this.onError(err)
      }
    }
  }
}
