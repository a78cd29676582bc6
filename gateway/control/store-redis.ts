/**
 * The shared state store: the routing state of a fleet in Redis (one server, or
 * a primary found through Redis Sentinel).
 *
 * Keys (under the configured prefix): `<p>:state` hash {revision, state JSON,
 * op, ops} (redis-scripts.ts), `<p>:audit` capped list (newest first),
 * `<p>:instances` sorted set (id by last heartbeat) and `<p>:instance:<id>`
 * heartbeat with a TTL; channel `<p>:revision`. A write is one Lua script
 * (compare the revision, store, record the operation id, append the audit
 * entry, publish), run whole or not at all, and never after its deadline
 * (redis-write.ts), so every admin write has a definite outcome.
 *
 * Three connections: a writer (writes, heartbeats), a reader (reads, and the
 * read-back of a write's outcome, which a write pause does not hold up) and a
 * subscriber. Instances fetch and apply on a message, and compare revision and
 * operation id on every heartbeat in case a message was lost.
 *
 * When Redis goes away the instance keeps serving with the state it has (the
 * data plane never waits on Redis). When Redis is back the instance re-fetches;
 * if Redis came back empty or older (no persistence, a failover that lost
 * writes) it seeds it again with the newest state it has applied, and audits
 * that, so the fleet keeps its routing.
 */
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Logger } from '../observe/log.js'
import type { RoutingState } from '../state/routing-state.js'
import type { Operation } from './operations.js'
import { errors } from '../errors.js'
import { auditEntry, auditRow, tagged, CAS_RETRIES, DEFAULT_AUDIT_CAP, missingModels, seedMissingModels, type AuditEntry, type AuditInput, type InstanceInfo, type OperationView, type StateListener, type StateStore, type StoreHealth } from './store.js'
import { ControlLog } from './control-log.js'
import { describeRedisError, lastError, quit, redisClient, redisMs, type RedisTarget } from './redis-connection.js'
import { casWrite, WRITE_DEADLINE_MS, type WriteTarget } from './redis-write.js'
import { HealthTracker } from './store-health.js'
import { PendingWrites } from './pending-writes.js'
import { auditWithRecord, operationFromAudit, operationFromRecord } from './audit-read.js'
import { StateSync, type StoredState } from './redis-sync.js'

export const DEFAULT_HEARTBEAT_MS = 1_000
export const DEFAULT_INSTANCE_TTL_MS = 5_000

export interface RedisStoreOptions {
  target: RedisTarget
  keyPrefix: string
  instanceId: string
  logger: Logger
  controlLog?: ControlLog
  /** Replicas that must have a write before it is acknowledged (Redis WAIT); 0: the primary's word is enough. */
  minReplicaAcks?: number
  heartbeatMs?: number
  instanceTtlMs?: number
  auditCap?: number
}

export class RedisStateStore implements StateStore {
  readonly kind = 'redis'
  readonly #o: RedisStoreOptions
  readonly #write: Redis
  readonly #read: Redis
  readonly #sub: Redis
  readonly #logger: Logger
  readonly #id: string
  readonly #ttlMs: number
  readonly #log: ControlLog
  readonly #startedAt = new Date().toISOString()
  readonly #keys: { state: string, audit: string, instances: string, instance: string, channel: string, instancePrefix: string }
  readonly #health = new HealthTracker()
  readonly #pending = new PendingWrites()
  readonly #sync: StateSync
  readonly #target: WriteTarget
  #address: string | null = null
  #timer: NodeJS.Timeout | undefined
  #beating = false
  #generation = 0
  #closed = false

  constructor (opts: RedisStoreOptions) {
    this.#o = opts
    this.#logger = opts.logger.child({ component: 'state-store', store: 'redis' })
    this.#id = opts.instanceId
    this.#ttlMs = opts.instanceTtlMs ?? DEFAULT_INSTANCE_TTL_MS
    this.#log = opts.controlLog ?? ControlLog.none(opts.logger)
    const p = opts.keyPrefix
    this.#keys = { state: `${p}:state`, audit: `${p}:audit`, instances: `${p}:instances`, instancePrefix: `${p}:instance:`, instance: `${p}:instance:${opts.instanceId}`, channel: `${p}:revision` }
    this.#write = redisClient(opts.target, `model-gateway:${this.#id}:write`, this.#logger)
    this.#read = redisClient(opts.target, `model-gateway:${this.#id}:read`, this.#logger)
    this.#sub = redisClient(opts.target, `model-gateway:${this.#id}:sub`, this.#logger, { commandTimeout: undefined })
    const auditCap = opts.auditCap ?? DEFAULT_AUDIT_CAP
    this.#target = { write: this.#write, read: this.#read, keys: this.#keys, auditCap, minReplicaAcks: opts.minReplicaAcks ?? 0, generation: () => this.#generation }
    this.#sync = new StateSync({
      target: this.#target,
      instanceId: this.#id,
      logger: this.#logger,
      log: this.#log,
      pending: this.#pending,
      reconcile: (revision, reason) => this.update(revision, s => ({ ...s, revision: s.revision + 1 }), { actor: `state-store@${this.#id}`, action: 'reconcile', detail: { reason } }).then(() => {})
    })
  }

  async init (initial: RoutingState): Promise<RoutingState> {
    try {
      await Promise.all([this.#write.connect(), this.#read.connect(), this.#sub.connect()])
      this.#sub.on('message', (channel: string, message: string) => {
        if (channel === this.#keys.channel && Number(message) !== this.#sync.state.revision) this.#sync.run()
      })
      await this.#sub.subscribe(this.#keys.channel)
      await this.#sync.seedFromConfig(initial)
    } catch (err) {
      for (const r of [this.#write, this.#read, this.#sub]) r.disconnect()
      throw new Error(`cannot load the routing state: ${describeRedisError(this.#o.target, err, lastError(this.#write))}`, { cause: err })
    }
    const missing = missingModels(this.#sync.state, initial)
    if (missing.length > 0) await this.update(undefined, seedMissingModels(initial), { actor: 'config', action: 'seed-models', detail: { models: missing } })
    this.#watchConnections()
    this.#timer = setInterval(() => { void this.#heartbeat() }, this.#o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS)
    this.#timer.unref()
    void this.#heartbeat()
    return this.#sync.state
  }

  get (): RoutingState {
    return this.#sync.state
  }

  async update (expectedRevision: number | undefined, op: Operation, audit: AuditInput): Promise<RoutingState> {
    const operationId = audit.operationId ?? randomUUID()
    return tagged(operationId, () => this.#update(expectedRevision, op, audit, operationId))
  }

  async #update (expectedRevision: number | undefined, op: Operation, audit: AuditInput, operationId: string): Promise<RoutingState> {
    for (let attempt = 0; ; attempt++) {
      const { stored, now } = await this.#readForWrite(operationId)
      this.#sync.adopt(stored)
      const current = stored.state
      if (expectedRevision !== undefined && expectedRevision !== current.revision) throw errors.staleRevision(expectedRevision, current.revision)
      const next = op(current)
      const entry = auditEntry({ ...audit, operationId }, this.#id, current, next)
      const deadline = now + WRITE_DEADLINE_MS
      const r = await casWrite(this.#target, { base: current, next, entry, operationId, deadline })
      switch (r.kind) {
        case 'applied':
          this.#sync.adopt({ state: next, op: operationId, ops: [`${operationId}:${next.revision}`, ...stored.ops] })
          this.#log.append(auditRow(entry))
          return next
        case 'stale':
          if (expectedRevision !== undefined || attempt >= CAS_RETRIES) throw errors.staleRevision(expectedRevision ?? current.revision, r.actual)
          continue
        case 'not-applied':
          this.#failed(r.reason)
          throw errors.stateUnavailable(`${r.reason}; the change was not applied and will not be`, undefined, operationId)
        case 'unknown':
          this.#failed(r.reason)
          this.#pending.add({ operationId, deadline, action: audit.action, model: audit.model ?? null, actor: audit.actor, since: Date.now(), generation: this.#generation, replicaShortfall: r.replicaShortfall })
          this.#logger.warn({ operationId, action: audit.action, model: audit.model, reason: r.reason }, 'admin write answered "outcome unknown"; reading it back once Redis answers')
          throw errors.outcomeUnknown(operationId, r.reason)
      }
    }
  }

  subscribe (listener: StateListener): () => void {
    return this.#sync.subscribe(listener)
  }

  async audit (limit: number): Promise<AuditEntry[]> {
    return auditWithRecord(() => this.#call('read the audit log', () => this.#auditList(limit)), limit, this.#log)
  }

  async operation (id: string): Promise<OperationView> {
    const known = this.#pending.view(id) ?? this.#sync.operation(id)
    if (known !== null) return known
    const fromRedis = await this.#auditList(this.#target.auditCap).then(list => operationFromAudit(id, list, 'audit log (Redis)'), () => null)
    return fromRedis ?? await operationFromRecord(id, this.#log) ?? { operationId: id, outcome: 'unknown', revision: null, action: null, model: null, source: 'no record of this operation' }
  }

  async instances (): Promise<InstanceInfo[]> {
    const ids = await this.#call('read the instance registry', () => this.#read.zrangebyscore(this.#keys.instances, Date.now() - this.#ttlMs, '+inf'))
    if (ids.length === 0) return []
    const rows = await this.#call('read the instance registry', () => this.#read.mget(ids.map(id => this.#keys.instancePrefix + id)))
    const out: InstanceInfo[] = []
    for (const r of rows) if (r !== null) out.push(JSON.parse(r) as InstanceInfo)
    return out.sort((a, b) => a.instanceId.localeCompare(b.instanceId))
  }

  async latestRevision (): Promise<number> {
    const rev = await this.#call('read the revision', () => this.#read.hget(this.#keys.state, 'revision'))
    return rev === null ? this.#sync.state.revision : Number(rev)
  }

  setAddress (address: string): void {
    this.#address = address
  }

  health (): StoreHealth {
    const h = this.#health
    const iso = (t: number | null): string | null => t === null ? null : new Date(t).toISOString()
    return { kind: 'redis', available: h.available, unavailableSince: iso(h.since), error: h.error, pendingOperations: this.#pending.views() }
  }

  async close (): Promise<void> {
    this.#closed = true
    this.#sync.close()
    clearInterval(this.#timer)
    try {
      await this.#write.multi().del(this.#keys.instance).zrem(this.#keys.instances, this.#id).exec()
    } catch {
      // Redis is away: the heartbeat key expires by itself.
    }
    await Promise.all([quit(this.#write), quit(this.#read), quit(this.#sub)])
  }

  /** The stored state and Redis's clock, read together; a Redis that came back empty is seeded again first. */
  async #readForWrite (operationId: string): Promise<{ stored: StoredState, now: number }> {
    try {
      for (let i = 0; i < 2; i++) {
        const res = await this.#read.pipeline().time().hmget(this.#keys.state, 'revision', 'state', 'op', 'ops').exec()
        const [timeErr, time] = res![0]!
        const [stateErr, fields] = res![1]!
        if (timeErr !== null || stateErr !== null) throw timeErr ?? stateErr
        const stored = StateSync.parse(fields as Array<string | null>)
        if (stored !== null) return { stored, now: redisMs(time as string[]) }
        await this.#sync.reseed(null)
      }
    } catch (err) {
      this.#failed((err as Error).message)
      throw errors.stateUnavailable(`cannot read the state in Redis: ${(err as Error).message}; nothing was written`, err, operationId)
    }
    throw errors.stateUnavailable('the state key is missing right after seeding it; nothing was written', undefined, operationId)
  }

  async #auditList (limit: number): Promise<AuditEntry[]> {
    const rows = await this.#read.lrange(this.#keys.audit, 0, Math.max(0, limit - 1))
    return rows.map(r => JSON.parse(r) as AuditEntry)
  }

  /** Runs a Redis read for an admin request, turning Redis trouble into 503 GW_STATE_UNAVAILABLE. */
  async #call<T> (what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      this.#failed((err as Error).message)
      throw errors.stateUnavailable(`cannot ${what} in Redis: ${(err as Error).message}`, err)
    }
  }

  #failed (reason: string): void {
    if (this.#health.fail(reason)) this.#logger.warn({ revision: this.#sync.state.revision, err: reason }, 'the routing state in Redis is unavailable; serving with the last state, changes are refused until it answers')
  }

  #watchConnections (): void {
    for (const r of [this.#write, this.#read]) {
      r.on('close', () => { if (!this.#closed) this.#failed('lost the connection to Redis') })
      r.on('ready', () => {
        this.#generation++
        this.#sync.reconnected()
        this.#sync.run()
      })
    }
    // The subscriber resubscribes by itself; anything published meanwhile is caught up here.
    this.#sub.on('ready', () => { this.#sync.run() })
  }

  async #heartbeat (): Promise<void> {
    if (this.#closed || this.#beating) return
    this.#beating = true
    const now = Date.now()
    const info: InstanceInfo = { instanceId: this.#id, revision: this.#sync.state.revision, startedAt: this.#startedAt, lastSeen: new Date(now).toISOString(), address: this.#address }
    try {
      const [, head] = await Promise.all([
        this.#write.multi()
          .set(this.#keys.instance, JSON.stringify(info), 'PX', this.#ttlMs)
          .zadd(this.#keys.instances, now, this.#id)
          .zremrangebyscore(this.#keys.instances, '-inf', now - this.#ttlMs)
          .exec(),
        this.#read.hmget(this.#keys.state, 'revision', 'op')
      ])
      if (this.#health.ok()) this.#logger.info({ revision: this.#sync.state.revision }, 'the routing state in Redis answers again')
      this.#sync.check(head[0] ?? null, head[1] ?? null)
      if (this.#pending.size > 0) await this.#sync.settlePending()
    } catch (err) {
      this.#failed(`heartbeat: ${(err as Error).message}`)
    } finally {
      this.#beating = false
    }
  }
}
