/**
 * One replica of a model version: its keep-alive connection pool, its in-flight
 * count (for power-of-two-choices) and its health. Replicas outlive routing
 * snapshots: the registry hands the same object to every snapshot that names the
 * same URL, so pools and health survive a traffic shift.
 */
import { Pool } from 'undici'

export interface PoolOptions {
  connectTimeoutMs: number
  /** Idle keep-alive sockets are closed after this long. */
  keepAliveTimeoutMs?: number
}

/** Longer than the example model's 65 s keep-alive would risk writing to a socket the server closes. */
const KEEP_ALIVE_TIMEOUT_MS = 30_000

export class Replica {
  readonly url: string
  /** Path prefix of the base URL ('' for http://host:port). */
  readonly prefix: string
  readonly pool: Pool
  inflight = 0
  /** Result of active health checks; true until a check says otherwise. */
  #healthy = true
  /** Set by passive outlier ejection; cleared when the ejection ends or a check succeeds. */
  #ejected = false
  /** Consecutive failures seen on live traffic (connection errors, 5xx). */
  consecutiveFailures = 0
  /** How many times this replica has been ejected; grows the ejection backoff. */
  ejections = 0

  constructor (url: string, opts: PoolOptions) {
    const u = new URL(url)
    this.url = url
    this.prefix = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '')
    this.pool = new Pool(u.origin, {
      pipelining: 1,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS,
      connect: { timeout: opts.connectTimeoutMs }
    })
  }

  get available (): boolean {
    return this.#healthy && !this.#ejected
  }

  get healthy (): boolean {
    return this.#healthy
  }

  get ejected (): boolean {
    return this.#ejected
  }

  setHealthy (healthy: boolean): void {
    this.#healthy = healthy
  }

  setEjected (ejected: boolean): void {
    this.#ejected = ejected
  }

  close (): Promise<void> {
    return this.pool.close()
  }
}

/** Hands out one Replica per URL and closes the pools of URLs no snapshot names any more. */
export class ReplicaRegistry {
  readonly #replicas = new Map<string, Replica>()

  get (url: string, opts: PoolOptions): Replica {
    let r = this.#replicas.get(url)
    if (r === undefined) {
      r = new Replica(url, opts)
      this.#replicas.set(url, r)
    }
    return r
  }

  all (): IterableIterator<Replica> {
    return this.#replicas.values()
  }

  /** Closes (gracefully: in-flight requests finish) every replica whose URL is not in keep. */
  async retain (keep: ReadonlySet<string>): Promise<void> {
    const closing: Promise<void>[] = []
    for (const [url, r] of this.#replicas) {
      if (!keep.has(url)) {
        this.#replicas.delete(url)
        closing.push(r.close())
      }
    }
    await Promise.allSettled(closing)
  }

  async closeAll (): Promise<void> {
    await this.retain(new Set())
  }
}
