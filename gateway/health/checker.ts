/**
 * Active health checks: every replica of every version is probed on its own
 * timer (interval shortened by a random jitter so replicas are not all probed at
 * the same instant), and marked unhealthy after `unhealthyThreshold` failed
 * probes in a row, healthy again after `healthyThreshold` passing ones.
 *
 * Probes go on their own connection, apart from the replica's traffic pool: a
 * hung replica saturates its pool with stuck requests, and a probe queued
 * behind them would measure the queue, not the replica. Each target keeps its
 * connection between probes when the replica allows (http-probe.ts says how a
 * probe is sent and why it costs what it does). Probe times fall on a coarse
 * grid (probe-logic.ts), and the targets due at one point share a timer
 * (probe-times.ts).
 * Each probe has its own hard deadline, so a replica that accepts the
 * connection and never answers fails the probe after `timeoutMs`. A gRPC
 * replica is probed over gRPC the same way (grpc-probe.ts).
 */
import type { Logger } from 'pino'
import type { ResolvedModel } from '../config/load.js'
import type { Replica } from '../proxy/replica.js'
import type { Model, Router, Snapshot as RoutingSnapshot, Version as VersionRoute } from '../proxy/router.js'
import { DEFAULT_HEALTH_PATH } from '../config/defaults.js'
import type { HealthCheckResult, HealthResultSink, ReplicaHealth } from './result.js'
import { ProbeSlots } from './probe-slots.js'
import { applyProbe, firstProbeDelay, nextProbeDelay, type ProbeCounters } from './probe-logic.js'
import { ProbeTimes } from './probe-times.js'
import { buildProbeRequest, ProbeChannel, ProbeError, type Probe } from './http-probe.js'
import { grpcProbeFor, sendGrpcProbe, type GrpcProbe } from './grpc-probe.js'

export type HealthSettings = ResolvedModel['healthCheck']

/** Bytes of a probe's response body kept for the expectBodyContains check; bodies beyond are not read further. */
const MAX_PROBE_BODY_BYTES = 64 * 1024

export { applyProbe, firstProbeDelay, nextProbeDelay, type ProbeCounters } from './probe-logic.js'

interface Target extends ProbeCounters {
  readonly key: string
  readonly model: string
  readonly version: string
  readonly replica: Replica
  /** Replaced by an equal object after a config reload, so later syncs compare by reference. */
  settings: HealthSettings
  /** Built once: every probe of this target sends the same bytes, on a connection kept while the replica allows. */
  readonly channel: ProbeChannel
  readonly kind: HealthCheckResult['kind']
  /** Set for a gRPC replica: what it is asked over gRPC. */
  readonly grpc: GrpcProbe | undefined
  /** Only while a probe runs. */
  inFlight: Probe | undefined
  /** Set while the next probe is scheduled; a dropped target is let go by clearing it. */
  waiting: boolean
  /** Probes scheduled so far (the first is spread over the interval). */
  scheduled: number
  probing: Promise<void> | undefined
  last: HealthCheckResult | undefined
}

export interface HealthCheckerOptions {
  router: Router
  instanceId: string
  sink: HealthResultSink
  logger: Logger
  /** A passing check ends a passive ejection early. */
  onCheckSuccess?: (r: Replica) => void
  ejectedUntil?: (r: Replica) => number | undefined
  random?: () => number
}

export class HealthChecker {
  readonly #opts: HealthCheckerOptions
  readonly #targets = new Map<string, Target>()
  /** The route each model's targets were made from, and their keys. */
  readonly #byModel = new Map<string, { route: Model, keys: Set<string> }>()
  readonly #slots = new ProbeSlots()
  readonly #times = new ProbeTimes<Target>((t) => {
    if (!t.waiting) return
    t.waiting = false
    void this.#probe(t)
  })
  #closed = false
  #started = false

  constructor (opts: HealthCheckerOptions) {
    this.#opts = opts
  }

  /** Probes every replica at once (a fresh gateway learns about dead replicas early), then on each one's timer. */
  start (): void {
    if (this.#started) return
    this.#started = true
    this.#opts.router.onChange((s) => { this.#sync(s) })
    this.#sync(this.#opts.router.snapshot)
  }

  status (): ReplicaHealth[] {
    const out: ReplicaHealth[] = []
    for (const [name, m] of this.#opts.router.snapshot.models) {
      for (const [vname, v] of m.versions) {
        for (const r of v.replicas) {
          const t = this.#targets.get(targetKey(name, vname, r.url))
          const until = this.#opts.ejectedUntil?.(r)
          out.push({
            model: name,
            version: vname,
            replica: r.url,
            healthy: r.healthy,
            ejected: r.ejected,
            ejectedUntil: until ?? null,
            consecutiveCheckFailures: t?.consecutiveFailures ?? 0,
            consecutiveFailures: r.consecutiveFailures,
            ejections: r.ejections,
            inflight: r.inflight,
            checksEnabled: m.cfg.healthCheck.enabled,
            lastCheck: t?.last === undefined
              ? null
              : { at: new Date(t.last.at).toISOString(), ok: t.last.ok, latencyMs: t.last.latencyMs, status: t.last.status, error: t.last.error }
          })
        }
      }
    }
    return out
  }

  async close (): Promise<void> {
    this.#closed = true
    const pending: Array<Promise<unknown>> = []
    for (const t of this.#targets.values()) pending.push(this.#drop(t))
    this.#targets.clear()
    this.#byModel.clear()
    this.#slots.cancelAll()
    this.#times.cancelAll()
    await Promise.allSettled(pending)
  }

  /**
   * Follows the replica set of a new routing snapshot: new targets are probed at
   * once, removed ones stop. Models whose route object is unchanged are skipped
   * (the router keeps it when nothing about the model changed), so a change to
   * one model of a thousand looks at one model's replicas (bench/scale.ts).
   */
  #sync (s: RoutingSnapshot): void {
    if (this.#closed) return
    for (const [name, m] of s.models) {
      const seen = this.#byModel.get(name)
      if (seen?.route !== m) this.#syncModel(name, m, seen?.keys)
    }
    for (const [name, seen] of this.#byModel) {
      if (s.models.has(name)) continue
      this.#byModel.delete(name)
      this.#dropKeys(seen.keys, undefined)
    }
  }

  #syncModel (name: string, m: Model, oldKeys: ReadonlySet<string> | undefined): void {
    const keys = new Set<string>()
    const hc = m.cfg.healthCheck
    if (hc.enabled) {
      for (const [vname, v] of m.versions) {
        for (const r of v.replicas) {
          const key = targetKey(name, vname, r.url)
          keys.add(key)
          const old = this.#targets.get(key)
          // The registry makes a new Replica when a URL left and came back; probe that one.
          // A config reload with other check settings re-creates the target (the replica keeps its verdict).
          if (old !== undefined && old.replica === r && sameSettings(old, hc)) continue
          if (old !== undefined) void this.#drop(old)
          const t = this.#makeTarget(key, name, v, r, hc)
          this.#targets.set(key, t)
          void this.#probe(t)
        }
      }
    }
    if (oldKeys !== undefined) this.#dropKeys(oldKeys, keys)
    this.#byModel.set(name, { route: m, keys })
  }

  #dropKeys (keys: Iterable<string>, keep: ReadonlySet<string> | undefined): void {
    for (const key of keys) {
      if (keep?.has(key) === true) continue
      const t = this.#targets.get(key)
      if (t === undefined) continue
      this.#targets.delete(key)
      void this.#drop(t)
    }
  }

  #makeTarget (key: string, model: string, version: VersionRoute, replica: Replica, settings: HealthSettings): Target {
    const infer = settings.inferPayload !== undefined
    // A version mapped to a numbered version or another model name upstream is
    // probed at its own readiness URL unless a path is configured: the server
    // being ready says nothing about that one version being loaded.
    const readyPath = settings.path ?? (version.mapped ? version.readyPath : DEFAULT_HEALTH_PATH)
    return {
      key,
      model,
      version: version.name,
      replica,
      settings,
      channel: new ProbeChannel(buildProbeRequest(new URL(replica.url), replica.prefix + (infer ? version.inferPath : readyPath), infer ? JSON.stringify(settings.inferPayload) : null, replica.tlsOptions())),
      kind: infer ? 'infer' : 'http',
      grpc: replica.transport === 'grpc' ? grpcProbeFor(version, settings.inferPayload, settings.expectBodyContains) : undefined,
      inFlight: undefined,
      waiting: false,
      scheduled: 0,
      probing: undefined,
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      last: undefined
    }
  }

  async #drop (t: Target): Promise<void> {
    t.waiting = false
    // Aborting a probe in flight means closing never waits out a probe timeout.
    t.inFlight?.abort()
    await t.probing?.catch(() => {})
    t.channel.close()
  }

  #schedule (t: Target): void {
    if (this.#closed || this.#targets.get(t.key) !== t) return
    const { intervalMs, jitter } = t.settings
    t.waiting = true
    this.#times.at(t, t.scheduled++ === 0 ? firstProbeDelay(intervalMs, this.#opts.random) : nextProbeDelay(intervalMs, jitter, this.#opts.random), intervalMs)
  }

  #probe (t: Target): Promise<void> {
    // A probe never overlaps the previous one of the same target.
    t.probing ??= this.#runProbe(t).finally(() => {
      t.probing = undefined
      this.#schedule(t)
    })
    return t.probing
  }

  async #runProbe (t: Target): Promise<void> {
    if (!await this.#slots.acquire()) return
    try {
      if (this.#closed || this.#targets.get(t.key) !== t) return
      await this.#probeOnce(t)
    } finally {
      this.#slots.release()
    }
  }

  async #probeOnce (t: Target): Promise<void> {
    const at = Date.now()
    const start = performance.now()
    const s = t.settings
    const kind = t.kind
    let status: number | null = null
    let error: string | null = null
    // A gRPC probe checks the answer itself (ready, or the expected text in the decoded answer).
    const wantBody = kind === 'infer' && s.expectBodyContains !== undefined && t.grpc === undefined
    const probe = t.inFlight = t.grpc === undefined
      ? t.channel.send(s.timeoutMs, wantBody ? MAX_PROBE_BODY_BYTES : 0, s.intervalMs)
      : sendGrpcProbe(t.replica.host, t.replica.url.startsWith('grpcs:'), t.grpc, s.timeoutMs)
    try {
      const res = await probe.result
      status = res.status
      if (status < 200 || status >= 300) error = `status ${status}`
      else if (wantBody && !res.body.includes(s.expectBodyContains!)) error = 'unexpected body'
    } catch (err) {
      error = err instanceof ProbeError ? err.reason : String(err)
    } finally {
      t.inFlight = undefined
    }
    if (this.#closed || this.#targets.get(t.key) !== t) return
    const result: HealthCheckResult = {
      at,
      instanceId: this.#opts.instanceId,
      model: t.model,
      version: t.version,
      replica: t.replica.url,
      kind,
      ok: error === null,
      latencyMs: Math.round((performance.now() - start) * 1000) / 1000,
      status,
      error
    }
    t.last = result
    this.#apply(t, result)
    try {
      this.#opts.sink.record(result)
    } catch (err) {
      this.#opts.logger.error({ err }, 'health result sink failed')
    }
  }

  #apply (t: Target, r: HealthCheckResult): void {
    const was = t.replica.healthy
    const now = applyProbe(t, r.ok, was, t.settings)
    if (now !== was) {
      t.replica.setHealthy(now)
      this.#opts.logger.warn({
        model: t.model,
        version: t.version,
        replica: t.replica.url,
        healthy: now,
        consecutiveFailures: t.consecutiveFailures,
        consecutiveSuccesses: t.consecutiveSuccesses,
        error: r.error
      }, now ? 'replica passed its health checks; back in rotation' : 'replica failed its health checks; out of rotation')
    }
    if (r.ok) this.#opts.onCheckSuccess?.(t.replica)
  }
}

function sameSettings (t: Target, hc: HealthSettings): boolean {
  if (t.settings === hc) return true
  if (JSON.stringify(t.settings) !== JSON.stringify(hc)) return false
  t.settings = hc
  return true
}

function targetKey (model: string, version: string, url: string): string {
  return `${model}\u0000${version}\u0000${url}`
}
