/**
 * What rollout controllers share across a fleet, beside the routing state:
 * - a lease per model, so exactly one controller acts on it at a time: a Redis
 *   key holding the holder's token ("<instance id>/<random>"), taken or renewed
 *   by one script that also recognises its own token. That is what makes a lease
 *   call that timed out harmless: if it ran later (queued behind a stalled
 *   Redis) and took the lease, the next call of the same controller finds its
 *   own token and goes on at once, instead of everyone waiting out the lease.
 *   A controller that dies stops renewing; the lease expires and another
 *   instance takes over from the stored rollout. Writes are also fenced by the
 *   state revision (the controller's compare-and-set), so a holder that lost
 *   its lease while paused cannot overwrite a newer decision;
 * - the decision journal (`rollout explain`): every analysis with its figures,
 *   newest first, capped, and also in the durable control log, which `explain`
 *   reads when Redis has lost its copy.
 * In the embedded default (memory store) the one gateway always holds the lease
 * and the journal lives in memory (and in the control log file, if any).
 */
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Logger } from '../observe/log.js'
import { controlRow } from '../observe/control-row.js'
import { entriesOf, mergeNewest, type ControlLog } from '../control/control-log.js'
import { quit, redisClient, type RedisTarget } from '../control/redis-connection.js'
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

/** Who holds a model's lease: the instance, and for how much longer (null: for as long as it runs). */
export interface LeaseHolder { instanceId: string, expiresInMs: number | null }

export interface JournalRead {
  /** Also read the durable control log when Redis holds fewer entries than asked for or does not answer. */
  durable?: boolean
}

export interface Coordination {
  /** Takes or renews the lease on `model`; true while this controller holds it. */
  lease (model: string): Promise<boolean>
  release (model: string): Promise<void>
  /** Who holds `model`'s lease (null: nobody); throws when that cannot be read. */
  holder (model: string): Promise<LeaseHolder | null>
  /** Models whose lease this instance holds. */
  held (): string[]
  append (model: string, e: JournalEntry): Promise<void>
  /** Newest first. */
  journal (model: string, limit: number, opts?: JournalRead): Promise<JournalEntry[]>
  close (): Promise<void>
}

/** The identity of a decision (for merging the two copies of the journal). */
export function journalKey (e: JournalEntry): string {
  return `${e.rolloutId}/${e.at}/${e.instanceId}/${e.action}/${e.step}`
}

function recordOf (model: string, e: JournalEntry): ReturnType<typeof controlRow> {
  return controlRow('journal', { id: journalKey(e), at: e.at, model, instanceId: e.instanceId, action: e.action, rolloutId: e.rolloutId }, e)
}

async function withDurable (model: string, limit: number, log: ControlLog, own: () => Promise<JournalEntry[]>, opts: JournalRead): Promise<JournalEntry[]> {
  let mine: JournalEntry[] | null = null
  let failure: unknown
  try {
    mine = await own()
  } catch (err) {
    failure = err
  }
  if (opts.durable !== true || (mine !== null && mine.length >= limit)) {
    if (mine === null) throw failure
    return mine
  }
  const durable = await log.read({ kind: 'journal', model, limit })
  if (durable === null || 'error' in durable) {
    if (mine === null) throw failure
    return mine
  }
  return mergeNewest(mine ?? [], entriesOf<JournalEntry>(durable.rows), journalKey, e => e.at, limit)
}

export class MemoryCoordination implements Coordination {
  readonly #journal = new Map<string, JournalEntry[]>()
  readonly #held = new Set<string>()
  readonly #instanceId: string
  readonly #log: ControlLog

  constructor (instanceId: string, log: ControlLog) {
    this.#instanceId = instanceId
    this.#log = log
  }

  async lease (model: string): Promise<boolean> {
    this.#held.add(model)
    return true
  }

  async release (model: string): Promise<void> { this.#held.delete(model) }
  async holder (): Promise<LeaseHolder> { return { instanceId: this.#instanceId, expiresInMs: null } }
  held (): string[] { return [...this.#held] }

  async append (model: string, e: JournalEntry): Promise<void> {
    let list = this.#journal.get(model)
    if (list === undefined) this.#journal.set(model, list = [])
    list.unshift(e)
    if (list.length > JOURNAL_CAP) list.length = JOURNAL_CAP
    this.#log.append(recordOf(model, e))
  }

  async journal (model: string, limit: number, opts: JournalRead = {}): Promise<JournalEntry[]> {
    return withDurable(model, limit, this.#log, async () => (this.#journal.get(model) ?? []).slice(0, limit), opts)
  }

  async close (): Promise<void> {}
}

/**
 * KEYS: lease. ARGV: token, ttl ms. Takes a free lease, renews one this token
 * holds (also one a timed-out earlier call of this controller took), else 0.
 */
const LEASE = `
local cur = redis.call('GET', KEYS[1])
if cur == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
`
/** KEYS: lease. ARGV: token. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`

export class RedisCoordination implements Coordination {
  readonly #redis: Redis
  readonly #prefix: string
  readonly #ttlMs: number
  readonly #token: string
  readonly #held = new Set<string>()
  readonly #log: ControlLog

  constructor (target: RedisTarget, prefix: string, ttlMs: number, instanceId: string, logger: Logger, log: ControlLog) {
    this.#prefix = prefix
    this.#ttlMs = ttlMs
    this.#token = `${instanceId}/${randomBytes(9).toString('hex')}`
    this.#log = log
    this.#redis = redisClient(target, `model-gateway:${instanceId}:rollouts`, logger)
    this.#redis.connect().catch(() => { /* reconnects by itself; calls fail fast meanwhile */ })
  }

  #key (kind: string, model: string): string {
    return `${this.#prefix}:rollout:${kind}:${model}`
  }

  async lease (model: string): Promise<boolean> {
    try {
      const ok = Number(await this.#redis.eval(LEASE, 1, this.#key('lease', model), this.#token, String(this.#ttlMs))) === 1
      if (ok) this.#held.add(model)
      else this.#held.delete(model)
      return ok
    } catch {
      // No answer: this controller cannot be sure it holds the lease, so it does not act. If the call
      // runs later and takes the lease, the next call recognises the token and acts at once.
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

  async holder (model: string): Promise<LeaseHolder | null> {
    const res = await this.#redis.multi().get(this.#key('lease', model)).pttl(this.#key('lease', model)).exec()
    const token = res?.[0]?.[1] as string | null | undefined
    if (token === null || token === undefined) return null
    const ttl = Number(res?.[1]?.[1])
    return { instanceId: token.slice(0, token.lastIndexOf('/')), expiresInMs: ttl >= 0 ? ttl : null }
  }

  held (): string[] {
    return [...this.#held]
  }

  async append (model: string, e: JournalEntry): Promise<void> {
    this.#log.append(recordOf(model, e))
    const key = this.#key('journal', model)
    await this.#redis.multi().lpush(key, JSON.stringify(e)).ltrim(key, 0, JOURNAL_CAP - 1).exec()
  }

  async journal (model: string, limit: number, opts: JournalRead = {}): Promise<JournalEntry[]> {
    return withDurable(model, limit, this.#log, async () => {
      const list = await this.#redis.lrange(this.#key('journal', model), 0, limit - 1)
      return list.map(s => JSON.parse(s) as JournalEntry)
    }, opts)
  }

  async close (): Promise<void> {
    for (const m of [...this.#held]) await this.release(m)
    await quit(this.#redis)
  }
}
