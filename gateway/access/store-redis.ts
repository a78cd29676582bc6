/**
 * The access state of a fleet in Redis, under the state store's key prefix:
 * `<p>:access` hash {revision, state JSON}, `<p>:access:audit` capped list
 * (newest first). A write is one Lua script (compare the revision, store,
 * audit, publish the revision on `<p>:access:revision`), so it happens whole
 * or not at all. Every instance fetches the state on the message; a poll of
 * the revision every POLL_MS catches a lost message. A revoked key therefore
 * stops working on every instance within a second, usually within
 * milliseconds.
 *
 * Redis away: the instance keeps the state it has (the data plane never asks
 * Redis); changes fail at once with 503. Redis back empty (no persistence):
 * the instance writes its state back.
 */
import { Redis, type RedisOptions } from 'ioredis'
import type { Logger } from '../observe/log.js'
import { errors } from '../errors.js'
import { parseAccessState, type AccessState, type ApplicationState } from '../state/access-state.js'
import type { AccessOperation } from './operations.js'
import { ACCESS_AUDIT_CAP, auditEntry, EMPTY_ACCESS, seedFromConfig, type AccessAuditEntry, type AccessAuditInput, type AccessListener, type AccessStore } from './store.js'

/** The backstop for a lost pub/sub message: how often the stored revision is compared. */
export const POLL_MS = 500
const COMMAND_TIMEOUT_MS = 1_000
const CAS_RETRIES = 5

/** KEYS: state, audit. ARGV: expected revision, new state, new revision, audit entry, audit cap, channel. */
const CAS_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], 'revision') or '0'
if cur ~= ARGV[1] then return {0, cur} end
redis.call('HSET', KEYS[1], 'revision', ARGV[3], 'state', ARGV[2])
if ARGV[4] ~= '' then
  redis.call('LPUSH', KEYS[2], ARGV[4])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
end
redis.call('PUBLISH', ARGV[6], ARGV[3])
return {1, ARGV[3]}
`

export interface RedisAccessStoreOptions {
  url: string
  keyPrefix: string
  instanceId: string
  logger: Logger
}

export class RedisAccessStore implements AccessStore {
  readonly kind = 'redis'
  readonly #cmd: Redis
  readonly #sub: Redis
  readonly #logger: Logger
  readonly #instanceId: string
  readonly #keys: { state: string, audit: string, channel: string }
  #state: AccessState = EMPTY_ACCESS
  #listeners = new Set<AccessListener>()
  #timer: NodeJS.Timeout | undefined
  #syncing = false
  #closed = false

  constructor (opts: RedisAccessStoreOptions) {
    this.#logger = opts.logger.child({ component: 'access-store', store: 'redis' })
    this.#instanceId = opts.instanceId
    const p = opts.keyPrefix
    this.#keys = { state: `${p}:access`, audit: `${p}:access:audit`, channel: `${p}:access:revision` }
    const options: RedisOptions = {
      lazyConnect: true,
      // An operator waits for the answer; the data plane never asks Redis.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(times * 100, 1_000)
    }
    this.#cmd = new Redis(opts.url, { ...options, connectionName: `model-gateway:${opts.instanceId}:access` })
    this.#sub = new Redis(opts.url, { ...options, commandTimeout: undefined, connectionName: `model-gateway:${opts.instanceId}:access-sub` })
    this.#cmd.on('error', (err: Error) => { this.#logger.debug({ err: err.message }, 'redis connection error') })
    this.#sub.on('error', (err: Error) => { this.#logger.debug({ err: err.message }, 'redis subscriber connection error') })
  }

  async init (initial: Record<string, ApplicationState>): Promise<AccessState> {
    try {
      await Promise.all([this.#cmd.connect(), this.#sub.connect()])
      this.#sub.on('message', (channel: string, message: string) => {
        if (channel === this.#keys.channel && Number(message) !== this.#state.revision) void this.#sync()
      })
      await this.#sub.subscribe(this.#keys.channel)
      this.#state = await this.#fetch() ?? EMPTY_ACCESS
    } catch (err) {
      this.#cmd.disconnect()
      this.#sub.disconnect()
      throw new Error(`cannot load the access state from Redis: ${(err as Error).message}`, { cause: err })
    }
    await seedFromConfig(this, initial)
    this.#sub.on('ready', () => { void this.#sync() })
    this.#timer = setInterval(() => { void this.#poll() }, POLL_MS)
    this.#timer.unref()
    return this.#state
  }

  get (): AccessState {
    return this.#state
  }

  async update (op: AccessOperation, audit: AccessAuditInput): Promise<AccessState> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.#call('read the access state', () => this.#fetch()) ?? EMPTY_ACCESS
      this.#adopt(current)
      const nextState = op(current)
      const entry = JSON.stringify(auditEntry(audit, this.#instanceId, nextState.revision))
      const [ok] = await this.#call('write the access state', () => this.#cas(current.revision, nextState, entry))
      if (ok === 1) {
        this.#adopt(nextState)
        return nextState
      }
      if (attempt >= CAS_RETRIES) throw errors.conflict('the access state changed on another instance while this change was written; retry')
    }
  }

  subscribe (listener: AccessListener): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  async audit (limit: number): Promise<AccessAuditEntry[]> {
    const rows = await this.#call('read the access audit log', () => this.#cmd.lrange(this.#keys.audit, 0, Math.max(0, limit - 1)))
    return rows.map(r => JSON.parse(r) as AccessAuditEntry)
  }

  async close (): Promise<void> {
    this.#closed = true
    clearInterval(this.#timer)
    this.#listeners.clear()
    await Promise.all([this.#cmd, this.#sub].map(async (r) => {
      try {
        if (r.status === 'ready') {
          await r.quit()
          return
        }
      } catch {
        // a hard disconnect below
      }
      r.disconnect()
    }))
  }

  #cas (expected: number, state: AccessState, auditJson: string): Promise<[number, string]> {
    return this.#cmd.eval(CAS_SCRIPT, 2, this.#keys.state, this.#keys.audit,
      String(expected), JSON.stringify(state), String(state.revision), auditJson, String(ACCESS_AUDIT_CAP), this.#keys.channel) as Promise<[number, string]>
  }

  async #call<T> (what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw errors.stateUnavailable(`cannot ${what} in Redis: ${(err as Error).message}`, err)
    }
  }

  async #fetch (): Promise<AccessState | null> {
    const text = await this.#cmd.hget(this.#keys.state, 'state')
    return text === null ? null : parseAccessState(text)
  }

  async #poll (): Promise<void> {
    if (this.#closed || this.#cmd.status !== 'ready') return
    try {
      const rev = await this.#cmd.hget(this.#keys.state, 'revision')
      if (Number(rev ?? 0) !== this.#state.revision) await this.#sync()
    } catch (err) {
      this.#logger.debug({ err: (err as Error).message }, 'polling the access revision failed')
    }
  }

  /** Fetches and applies the stored state; writes this instance's back when Redis lost it. */
  async #sync (): Promise<void> {
    if (this.#closed || this.#syncing) return
    this.#syncing = true
    try {
      const stored = await this.#fetch()
      if (stored === null && this.#state.revision > 0) {
        const [ok] = await this.#cas(0, this.#state, '')
        if (ok === 1) this.#logger.warn({ revision: this.#state.revision }, 'Redis held no access state; wrote this instance\'s back')
      } else if (stored !== null) {
        this.#adopt(stored)
      }
    } catch (err) {
      this.#logger.debug({ err: (err as Error).message }, 'cannot synchronise the access state yet')
    } finally {
      this.#syncing = false
    }
  }

  #adopt (state: AccessState): void {
    if (state.revision <= this.#state.revision) return
    this.#state = state
    for (const l of this.#listeners) {
      try {
        l(state)
      } catch (err) {
        this.#logger.error({ err, revision: state.revision }, 'applying an access state failed')
      }
    }
  }
}
