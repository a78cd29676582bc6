/**
 * One replica of a model version: its keep-alive connection pool, its in-flight
 * count (for power-of-two-choices) and its health. Replicas outlive routing
 * snapshots: the registry hands the same object to every snapshot that names the
 * same URL, so pools and health survive a traffic shift.
 *
 * A replica speaks one transport, told by its URL: `http(s)://` the REST
 * protocol through an undici Pool, `grpc(s)://` gRPC through a channel the gRPC
 * side makes (`channel()`). Slots, health and ejection are the same for both.
 */
import type { ConnectionOptions } from 'node:tls'
import { Pool } from 'undici'
import type { ResolvedUpstreamTls } from '../config/resolve-access.js'
import { secureOptions } from '../tls/material.js'
import { transportOf, type Transport } from '../state/names.js'
import { MirrorPool } from './mirror-pool.js'

export interface PoolOptions {
  connectTimeoutMs: number
  /** Requests (and sockets) one replica may have open at once; more wait for a slot. */
  maxConnections: number
  /** Idle keep-alive sockets are closed after this long. */
  keepAliveTimeoutMs?: number
  /** TLS to an https:// replica: CA, client certificate, server name (the model's `tls`). */
  tls?: ResolvedUpstreamTls | null
}

/** Longer than the example model's 65 s keep-alive would risk writing to a socket the server closes. */
const KEEP_ALIVE_TIMEOUT_MS = 30_000

interface Waiter {
  grant: (ok: boolean) => void
  timer: NodeJS.Timeout
}

export class Replica {
  readonly url: string
  readonly transport: Transport
  /** Path prefix of the base URL ('' for http://host:port). */
  readonly prefix: string
  /** host:port of the URL (a gRPC channel's target). */
  readonly host: string
  readonly #origin: string
  #opts: PoolOptions
  /**
   * Created on the first request: an undici Pool costs ~20 KB and ~0.3 ms to
   * build, and in a fleet of 12,000 replicas most are idle at any moment
   * (bench/scale.ts measured 4 s and 250 MB for eager pools).
   */
  #pool: Pool | undefined
  /** The shadow's connections (mirror-pool.ts), made on the first mirrored request. */
  #mirror: MirrorPool | undefined
  /** The connection of a gRPC replica, made by the gRPC side on first use. */
  #channel: Closable | undefined
  #closed = false
  readonly #maxConnections: number
  #inflight = 0
  /** Requests waiting for a slot, first come first served; null until the cap is first reached. */
  #waiters: Waiter[] | null = null
  /** Result of active health checks; true until a check says otherwise. */
  #healthy = true
  /** Set by passive outlier ejection; cleared when the ejection ends or a check succeeds. */
  #ejected = false
  /** Consecutive failures seen on live traffic (connection errors, 5xx). */
  #consecutiveFailures = 0
  /** How many times this replica has been ejected in quick succession; grows the ejection backoff. */
  #ejections = 0

  constructor (url: string, opts: PoolOptions) {
    const u = new URL(url)
    this.url = url
    this.transport = transportOf(url)
    this.host = u.host
    this.prefix = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '')
    this.#maxConnections = opts.maxConnections
    this.#origin = u.origin
    this.#opts = opts
  }

  get pool (): Pool {
    if (this.#pool === undefined) {
      this.#pool = new Pool(this.#origin, {
        pipelining: 1,
        connections: this.#opts.maxConnections,
        keepAliveTimeout: this.#opts.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS,
        connect: this.connectOptions(this.#opts.connectTimeoutMs)
      })
      // A request from an older snapshot that picks a replica already removed meets a
      // closed pool, as it would have before pools were lazy (it is retried elsewhere).
      if (this.#closed) void this.#pool.close()
    }
    return this.#pool
  }

  /** The shadow's own pipelined connections to this replica (proxy/mirror-pool.ts), `pipelining` deep. */
  mirror (pipelining: number): MirrorPool {
    if (this.#mirror === undefined) {
      this.#mirror = new MirrorPool(this.#origin, this.connectOptions(this.#opts.connectTimeoutMs), this.#maxConnections, pipelining, this.#opts.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS)
      if (this.#closed) void this.#mirror.close()
    }
    return this.#mirror
  }

  /** How connections to this replica are opened (undici `connect`): the timeout, and TLS options for https. */
  connectOptions (timeoutMs: number): Record<string, unknown> {
    return { timeout: timeoutMs, ...this.tlsOptions() }
  }

  /** TLS options for an https replica (CA, client certificate, server name); null when the model sets none. */
  tlsOptions (): ConnectionOptions | null {
    const t = this.#opts.tls
    if (t == null) return null
    const o: ConnectionOptions = { ...(t.contents === null ? {} : secureOptions(t.contents)), rejectUnauthorized: t.verify }
    if (t.serverName !== undefined) o.servername = t.serverName
    return o
  }

  /** The fingerprint of the TLS material in use ('' without). */
  get tlsFingerprint (): string {
    return this.#opts.tls?.contents?.fingerprint ?? ''
  }

  /**
   * New TLS material (a reloaded config with rotated files): new connections
   * use it; the old pool closes gracefully, its requests in flight finish.
   */
  setTls (tls: ResolvedUpstreamTls | null | undefined): void {
    this.#opts = { ...this.#opts, tls }
    const old = this.#pool
    const oldMirror = this.#mirror
    this.#pool = undefined
    this.#mirror = undefined
    void old?.close()
    void oldMirror?.close()
  }

  /**
   * The replica's connection for a transport other than HTTP, made by `make` on
   * first use and closed with the replica.
   */
  channel<T extends Closable> (make: (r: Replica) => T): T {
    if (this.#channel === undefined) {
      this.#channel = make(this)
      if (this.#closed) this.#channel.close()
    }
    return this.#channel as T
  }

  get inflight (): number { return this.#inflight }
  get available (): boolean { return this.#healthy && !this.#ejected }
  get healthy (): boolean { return this.#healthy }
  get ejected (): boolean { return this.#ejected }
  get consecutiveFailures (): number { return this.#consecutiveFailures }
  get ejections (): number { return this.#ejections }

  /** Takes a slot when one is free at once (the common case: no promise, no timer). */
  tryAcquire (): boolean {
    if (this.#inflight >= this.#maxConnections) return false
    this.#inflight++
    return true
  }

  /** Waits up to `timeoutMs` for a slot; resolves false when none freed in time. */
  acquire (timeoutMs: number): Promise<boolean> {
    if (this.tryAcquire()) return Promise.resolve(true)
    if (timeoutMs <= 0) return Promise.resolve(false)
    return new Promise((resolve) => {
      const waiters = this.#waiters ??= []
      const w: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          const i = waiters.indexOf(w)
          if (i !== -1) waiters.splice(i, 1)
          resolve(false)
        }, timeoutMs)
      }
      waiters.push(w)
    })
  }

  /** Gives the slot back: to the first waiter if there is one (the count stays), else frees it. */
  release (): void {
    const w = this.#waiters?.shift()
    if (w !== undefined) {
      clearTimeout(w.timer)
      w.grant(true)
      return
    }
    this.#inflight--
  }

  /** A response that is not a 5xx: the run of failures ends. */
  recordSuccess (): void {
    if (this.#consecutiveFailures !== 0) this.#consecutiveFailures = 0
  }

  /** A connection failure or a 5xx; returns the length of the run of failures. */
  recordFailure (): number {
    return ++this.#consecutiveFailures
  }

  /** Counts an ejection; `fresh` restarts the count (the last one ended long ago). Returns the count. */
  countEjection (fresh: boolean): number {
    if (fresh) this.#ejections = 0
    return ++this.#ejections
  }

  setHealthy (healthy: boolean): void {
    this.#healthy = healthy
  }

  setEjected (ejected: boolean): void {
    this.#ejected = ejected
    if (!ejected) this.#consecutiveFailures = 0
  }

  /** Graceful: requests in flight finish. A replica that never served has nothing to close. */
  close (): Promise<void> {
    this.#closed = true
    // A gRPC channel's close lets calls in flight finish.
    this.#channel?.close()
    return Promise.all([this.#pool?.close(), this.#mirror?.close()]).then(() => {})
  }
}

export interface Closable {
  close (): void
}

/** Hands out one Replica per URL and closes the pools of URLs no snapshot names any more. */
export class ReplicaRegistry {
  readonly #replicas = new Map<string, Replica>()

  get (url: string, opts: PoolOptions): Replica {
    let r = this.#replicas.get(url)
    if (r === undefined) {
      r = new Replica(url, opts)
      this.#replicas.set(url, r)
    } else if (r.tlsFingerprint !== (opts.tls?.contents?.fingerprint ?? '')) {
      r.setTls(opts.tls)
    }
    return r
  }

  all (): IterableIterator<Replica> {
    return this.#replicas.values()
  }

  /** Closes (gracefully: in-flight requests finish) the replicas of these URLs. */
  async release (urls: Iterable<string>): Promise<void> {
    const closing: Promise<void>[] = []
    for (const url of urls) {
      const r = this.#replicas.get(url)
      if (r === undefined) continue
      this.#replicas.delete(url)
      closing.push(r.close())
    }
    await Promise.allSettled(closing)
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
