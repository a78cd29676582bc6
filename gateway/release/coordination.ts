/**
 * What rollout controllers share across a fleet, beside the routing state:
 * - a lease per model, so exactly one controller acts on it at a time: Redis
 *   `SET key token NX PX ttl`, renewed only by the holder of the token (a Lua
 *   compare-and-expire). A controller that dies stops renewing; the lease expires
 *   and another instance takes over from the stored rollout. Writes are also
 *   fenced by the state revision (the controller's compare-and-set), so a holder
 *   that lost its lease while paused cannot overwrite a newer decision;
 * - the decision journal (`rollout explain`): every analysis with its figures,
 *   newest first, capped.
 * In the embedded default (memory store) the one gateway always holds the lease
 * and the journal lives in memory.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Logger } from '../observe/log.js'
import type { Decision } from './steps.js'

export const JOURNAL_CAP = 2000

export interface JournalEntry {
  at: number
  instanceId: string
  action: Decision['action'] | 'start' | 'pause' | 'resume' | 'abort' | 'approve' | 'admit' | 'superseded'
  step: number
  weight: number
  reason: string
  checks: Array<{ check: string, verdict: string, summary: string, figures: Record<string, number | null>, segment?: string }>
  rolloutId: string
}

export interface Coordination {
  /** Takes or renews the lease on `model`; true while this controller holds it. */
  lease (model: string): Promise<boolean>
  release (model: string): Promise<void>
  append (model: string, e: JournalEntry): Promise<void>
  /** Newest first. */
  journal (model: string, limit: number): Promise<JournalEntry[]>
  close (): Promise<void>
}

export class MemoryCoordination implements Coordination {
  readonly #journal = new Map<string, JournalEntry[]>()
  async lease (): Promise<boolean> { return true }
  async release (): Promise<void> {}
  async append (model: string, e: JournalEntry): Promise<void> {
    let list = this.#journal.get(model)
    if (list === undefined) this.#journal.set(model, list = [])
    list.unshift(e)
    if (list.length > JOURNAL_CAP) list.length = JOURNAL_CAP
  }

  async journal (model: string, limit: number): Promise<JournalEntry[]> {
    return (this.#journal.get(model) ?? []).slice(0, limit)
  }

  async close (): Promise<void> {}
}

/** KEYS: lease. ARGV: token, ttl ms. Renews only the holder's own lease. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`
/** KEYS: lease. ARGV: token. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`

export class RedisCoordination implements Coordination {
  readonly #redis: Redis
  readonly #prefix: string
  readonly #ttlMs: number
  readonly #token = randomBytes(12).toString('hex')
  readonly #held = new Set<string>()

  constructor (url: string, prefix: string, ttlMs: number, logger: Logger) {
    this.#prefix = prefix
    this.#ttlMs = ttlMs
    this.#redis = new Redis(url, { lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1000, connectTimeout: 2000, retryStrategy: (t) => Math.min(t * 100, 1000) })
    this.#redis.on('error', (err: Error) => { logger.debug({ err: err.message }, 'rollout coordination: redis connection error') })
  }

  #key (kind: string, model: string): string {
    return `${this.#prefix}:rollout:${kind}:${model}`
  }

  async lease (model: string): Promise<boolean> {
    const key = this.#key('lease', model)
    try {
      if (this.#held.has(model) && Number(await this.#redis.eval(RENEW, 1, key, this.#token, String(this.#ttlMs))) === 1) return true
      this.#held.delete(model)
      const ok = await this.#redis.set(key, this.#token, 'PX', this.#ttlMs, 'NX')
      if (ok === 'OK') this.#held.add(model)
      return ok === 'OK'
    } catch {
      // Redis away: nobody can renew, so nobody acts until it is back (and the lease holder is sure again).
      this.#held.delete(model)
      return false
    }
  }

  async release (model: string): Promise<void> {
    this.#held.delete(model)
    try {
      await this.#redis.eval(RELEASE, 1, this.#key('lease', model), this.#token)
    } catch { /* expires by itself */ }
  }

  async append (model: string, e: JournalEntry): Promise<void> {
    const key = this.#key('journal', model)
    await this.#redis.multi().lpush(key, JSON.stringify(e)).ltrim(key, 0, JOURNAL_CAP - 1).exec()
  }

  async journal (model: string, limit: number): Promise<JournalEntry[]> {
    const list = await this.#redis.lrange(this.#key('journal', model), 0, limit - 1)
    return list.map(s => JSON.parse(s) as JournalEntry)
  }

  async close (): Promise<void> {
    for (const m of [...this.#held]) await this.release(m)
    try {
      await this.#redis.quit()
    } catch {
      this.#redis.disconnect()
    }
  }
}
