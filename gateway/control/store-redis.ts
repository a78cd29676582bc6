/**
 * The shared state store: the routing state of a fleet in Redis.
 *
 * Keys (under the configured prefix): `<p>:state` hash {revision, state JSON},
 * `<p>:audit` capped list (newest first), `<p>:instances` sorted set (id by last
 * heartbeat) and `<p>:instance:<id>` heartbeat with a TTL. A write is one Lua
 * script: compare the revision, store, append the audit entry, publish the new
 * revision on `<p>:revision`, so a write either happens whole or not at all.
 * Instances fetch and apply on the message, and also compare revisions on every
 * heartbeat in case a message was lost.
 *
 * When Redis goes away the instance keeps serving with the state it has (the data
 * plane never waits on Redis); commands fail fast instead of queueing, so admin
 * writes answer 503 at once. When Redis is back the instance re-fetches, and if
 * Redis came back empty or older (no persistence) it seeds it again with the
 * newest state it has applied, so the fleet keeps its routing.
 */
import type { Redis, RedisOptions } from 'ioredis'
import { createRedis, describeRedisError } from '../config/redis-connection.js'
import { NO_REDIS_SECURITY, type RedisSecurity } from '../config/connections.js'
import type { Logger } from '../observe/log.js'
import type { RoutingState } from '../state/routing-state.js'
import type { Operation } from './operations.js'
import { errors } from '../errors.js'
import { auditEntry, CAS_RETRIES, DEFAULT_AUDIT_CAP, missingModels, parseStoredState, seedMissingModels, type AuditEntry, type AuditInput, type InstanceInfo, type StateListener, type StateStore } from './store.js'

export const DEFAULT_HEARTBEAT_MS = 1_000
export const DEFAULT_INSTANCE_TTL_MS = 5_000
/** A command that has not answered by then fails: an admin write should get its 503 quickly, not hang. */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000
export const REDIS_CONNECT_TIMEOUT_MS = 2_000
/** Reconnect backoff: 100 ms more per attempt, at most this. */
export const REDIS_MAX_RECONNECT_DELAY_MS = 1_000

/** KEYS: state, audit. ARGV: expected revision, new state, new revision, audit entry, audit cap, channel. */
const CAS_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], 'revision')
if cur == false or cur ~= ARGV[1] then return {0, cur or '0'} end
redis.call('HSET', KEYS[1], 'revision', ARGV[3], 'state', ARGV[2])
redis.call('LPUSH', KEYS[2], ARGV[4])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
redis.call('PUBLISH', ARGV[6], ARGV[3])
return {1, ARGV[3]}
`

/** KEYS: state. ARGV: revision, state, channel. Stores the state only if Redis holds none or an older one. */
const SEED_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], 'revision')
if cur == false or tonumber(cur) < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'revision', ARGV[1], 'state', ARGV[2])
  redis.call('PUBLISH', ARGV[3], ARGV[1])
  return 1
end
return 0
`

export interface RedisStoreOptions {
  url: string
  /** TLS and ACL credentials (default: none beyond the URL). */
  security?: RedisSecurity
  keyPrefix: string
  instanceId: string
  logger: Logger
  heartbeatMs?: number
  instanceTtlMs?: number
  auditCap?: number
}

export class RedisStateStore implements StateStore {
  readonly kind = 'redis'
  readonly #cmd: Redis
  readonly #sub: Redis
  readonly #logger: Logger
  readonly #url: string
  readonly #instanceId: string
  readonly #heartbeatMs: number
  readonly #ttlMs: number
  readonly #auditCap: number
  readonly #startedAt = new Date().toISOString()
  readonly #keys: { state: string, audit: string, instances: string, instance: string, channel: string, instancePrefix: string }
  #state: RoutingState = { revision: 0, models: {} }
  #listeners = new Set<StateListener>()
  #address: string | null = null
  #timer: NodeJS.Timeout | undefined
  #syncing: Promise<void> | undefined
  #syncAgain = false
  #connected = false
  #closed = false

  constructor (opts: RedisStoreOptions) {
    this.#logger = opts.logger.child({ component: 'state-store', store: 'redis' })
    this.#instanceId = opts.instanceId
    this.#heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS
    this.#ttlMs = opts.instanceTtlMs ?? DEFAULT_INSTANCE_TTL_MS
    this.#auditCap = opts.auditCap ?? DEFAULT_AUDIT_CAP
    const p = opts.keyPrefix
    this.#keys = {
      state: `${p}:state`,
      audit: `${p}:audit`,
      instances: `${p}:instances`,
      instancePrefix: `${p}:instance:`,
      instance: `${p}:instance:${opts.instanceId}`,
      channel: `${p}:revision`
    }
    const options: RedisOptions = {
      lazyConnect: true,
      // Fail commands at once while disconnected instead of queueing them: the
      // caller is an operator waiting for an answer, and the data plane never asks.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(times * 100, REDIS_MAX_RECONNECT_DELAY_MS)
    }
    this.#url = opts.url
    this.#cmd = createRedis(opts.url, opts.security ?? NO_REDIS_SECURITY, { ...options, connectionName: `model-gateway:${opts.instanceId}` })
    this.#sub = createRedis(opts.url, opts.security ?? NO_REDIS_SECURITY, { ...options, commandTimeout: undefined, connectionName: `model-gateway:${opts.instanceId}:sub` })
    // ioredis emits 'error' on every failed reconnect; without listeners they would crash the process.
    this.#cmd.on('error', (err: Error) => { this.#logger.debug({ err: err.message }, 'redis connection error') })
    this.#sub.on('error', (err: Error) => { this.#logger.debug({ err: err.message }, 'redis subscriber connection error') })
  }

  async init (initial: RoutingState): Promise<RoutingState> {
    try {
      await this.#cmd.connect()
      await this.#sub.connect()
      this.#sub.on('message', (channel: string, message: string) => {
        if (channel === this.#keys.channel && Number(message) > this.#state.revision) this.#sync()
      })
      await this.#sub.subscribe(this.#keys.channel)
      await this.#cmd.eval(SEED_SCRIPT, 1, this.#keys.state, String(initial.revision), JSON.stringify(initial), this.#keys.channel)
      const stored = await this.#fetch()
      if (stored === null) throw new Error('the state key vanished right after seeding')
      this.#state = stored
    } catch (err) {
      this.#cmd.disconnect()
      this.#sub.disconnect()
      throw new Error(`cannot load the routing state: ${describeRedisError(this.#cmd, this.#url, err)}`, { cause: err })
    }
    const missing = missingModels(this.#state, initial)
    if (missing.length > 0) await this.update(undefined, seedMissingModels(initial), { actor: 'config', action: 'seed-models', detail: { models: missing } })
    this.#connected = true
    this.#cmd.on('close', () => {
      if (!this.#connected || this.#closed) return
      this.#connected = false
      this.#logger.warn({ revision: this.#state.revision }, 'lost the connection to Redis; serving with the last routing state, changes are refused until it is back')
    })
    this.#cmd.on('ready', () => {
      this.#connected = true
      this.#logger.info('reconnected to Redis; resynchronising the routing state')
      this.#sync()
    })
    // The subscriber resubscribes by itself; anything published meanwhile is caught up here.
    this.#sub.on('ready', () => { this.#sync() })
    this.#timer = setInterval(() => { void this.#heartbeat() }, this.#heartbeatMs)
    this.#timer.unref()
    void this.#heartbeat()
    return this.#state
  }

  get (): RoutingState {
    return this.#state
  }

  async update (expectedRevision: number | undefined, op: Operation, audit: AuditInput): Promise<RoutingState> {
    for (let attempt = 0; ; attempt++) {
      let current = await this.#call('read the state', () => this.#fetch())
      if (current === null) {
        // Redis restarted empty: put this instance's state back before changing it.
        await this.#call('re-seed the state', () => this.#reseed())
        current = await this.#call('read the state', () => this.#fetch())
        if (current === null) throw errors.stateUnavailable('the state key is missing')
      }
      this.#adopt(current)
      if (expectedRevision !== undefined && expectedRevision !== current.revision) throw errors.staleRevision(expectedRevision, current.revision)
      const next = op(current)
      const entry = auditEntry(audit, this.#instanceId, current, next)
      const base = current
      const [ok, actual] = await this.#call('write the state', () => this.#cmd.eval(
        CAS_SCRIPT, 2, this.#keys.state, this.#keys.audit,
        String(base.revision), JSON.stringify(next), String(next.revision), JSON.stringify(entry), String(this.#auditCap), this.#keys.channel
      ) as Promise<[number, string]>)
      if (ok === 1) {
        this.#adopt(next)
        return next
      }
      if (expectedRevision !== undefined || attempt >= CAS_RETRIES) throw errors.staleRevision(expectedRevision ?? base.revision, Number(actual))
    }
  }

  subscribe (listener: StateListener): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  async audit (limit: number): Promise<AuditEntry[]> {
    const rows = await this.#call('read the audit log', () => this.#cmd.lrange(this.#keys.audit, 0, Math.max(0, limit - 1)))
    return rows.map(r => JSON.parse(r) as AuditEntry)
  }

  async instances (): Promise<InstanceInfo[]> {
    const ids = await this.#call('read the instance registry', async () => {
      await this.#cmd.zremrangebyscore(this.#keys.instances, '-inf', Date.now() - this.#ttlMs)
      return this.#cmd.zrange(this.#keys.instances, 0, -1)
    })
    if (ids.length === 0) return []
    const rows = await this.#call('read the instance registry', () => this.#cmd.mget(ids.map(id => this.#keys.instancePrefix + id)))
    const out: InstanceInfo[] = []
    for (const r of rows) if (r !== null) out.push(JSON.parse(r) as InstanceInfo)
    return out.sort((a, b) => a.instanceId.localeCompare(b.instanceId))
  }

  async latestRevision (): Promise<number> {
    const rev = await this.#call('read the revision', () => this.#cmd.hget(this.#keys.state, 'revision'))
    return rev === null ? this.#state.revision : Number(rev)
  }

  setAddress (address: string): void {
    this.#address = address
  }

  async close (): Promise<void> {
    this.#closed = true
    clearInterval(this.#timer)
    this.#listeners.clear()
    try {
      await this.#cmd.multi().del(this.#keys.instance).zrem(this.#keys.instances, this.#instanceId).exec()
    } catch {
      // Redis is away: the heartbeat key expires by itself.
    }
    await Promise.all([quit(this.#cmd), quit(this.#sub)])
  }

  /** Runs a Redis command for an admin request, turning Redis trouble into 503 GW_STATE_UNAVAILABLE. */
  async #call<T> (what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw errors.stateUnavailable(`cannot ${what} in Redis: ${(err as Error).message}`, err)
    }
  }

  async #fetch (): Promise<RoutingState | null> {
    const text = await this.#cmd.hget(this.#keys.state, 'state')
    return text === null ? null : parseStoredState(text)
  }

  /** Seeds Redis with this instance's state if Redis holds none or an older one. */
  async #reseed (): Promise<boolean> {
    const s = this.#state
    const done = await this.#cmd.eval(SEED_SCRIPT, 1, this.#keys.state, String(s.revision), JSON.stringify(s), this.#keys.channel)
    if (done === 1) this.#logger.warn({ revision: s.revision }, 'Redis held no (or an older) routing state; seeded it with this instance\'s state')
    return done === 1
  }

  #adopt (state: RoutingState): void {
    if (state.revision <= this.#state.revision) return
    this.#state = state
    for (const l of this.#listeners) {
      try {
        l(state)
      } catch (err) {
        this.#logger.error({ err, revision: state.revision }, 'applying a routing state failed')
      }
    }
  }

  /** Fetches and applies the stored state; concurrent calls are folded into one more round. */
  #sync (): void {
    if (this.#closed) return
    if (this.#syncing !== undefined) {
      this.#syncAgain = true
      return
    }
    this.#syncing = (async () => {
      do {
        this.#syncAgain = false
        try {
          const stored = await this.#fetch()
          if (stored === null || stored.revision < this.#state.revision) await this.#reseed()
          else this.#adopt(stored)
        } catch (err) {
          this.#logger.debug({ err: (err as Error).message }, 'cannot synchronise the routing state yet')
        }
      } while (this.#syncAgain && !this.#closed)
    })().finally(() => { this.#syncing = undefined })
  }

  async #heartbeat (): Promise<void> {
    if (this.#closed || this.#cmd.status !== 'ready') return
    const now = Date.now()
    const info: InstanceInfo = {
      instanceId: this.#instanceId,
      revision: this.#state.revision,
      startedAt: this.#startedAt,
      lastSeen: new Date(now).toISOString(),
      address: this.#address
    }
    try {
      const res = await this.#cmd.multi()
        .set(this.#keys.instance, JSON.stringify(info), 'PX', this.#ttlMs)
        .zadd(this.#keys.instances, now, this.#instanceId)
        .hget(this.#keys.state, 'revision')
        .exec()
      const rev = res?.[2]?.[1] as string | null | undefined
      // A lost pub/sub message, or Redis restarted empty: either way the revisions differ.
      if (rev === null || (rev !== undefined && Number(rev) !== this.#state.revision)) this.#sync()
    } catch (err) {
      this.#logger.debug({ err: (err as Error).message }, 'heartbeat to Redis failed')
    }
  }
}

async function quit (r: Redis): Promise<void> {
  if (r.status === 'ready') {
    try {
      await r.quit()
      return
    } catch {
      // fall through to a hard disconnect
    }
  }
  r.disconnect()
}
