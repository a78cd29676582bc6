/**
 * The Redis store's copy of the state and how it follows Redis: adopt a newer
 * revision, seed Redis again (audited) when it came back empty or older, settle
 * the writes whose outcome was unknown, and reconcile the one split a failover
 * can leave behind: Redis and this instance at the same revision with
 * different contents (the operation ids differ), where Redis's wins.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from '../observe/log.js'
import type { RoutingState } from '../state/routing-state.js'
import { auditEntry, auditRow, parseStoredState, type AuditEntry, type OperationView, type StateListener } from './store.js'
import type { ControlLog } from './control-log.js'
import { NOTE_SCRIPT, parseOps, revisionOfOp, SEED_SCRIPT, OPS_CAP } from './redis-scripts.js'
import { redisMs } from './redis-connection.js'
import type { WriteTarget } from './redis-write.js'
import { outcomeFrom, type PendingWrite, type PendingWrites, type Settled } from './pending-writes.js'
import { OUTCOME_ACTION } from './audit-read.js'

/**
 * After a reconnect (perhaps to a promoted replica), how long to wait before
 * deciding that a write which the new server lacks did not apply: time for
 * every instance to seed back what it had applied (heartbeats are every second).
 */
export const RESEED_GRACE_MS = 3_000
/** How long settling a write that reached the primary waits for its replicas. */
const SETTLE_WAIT_MS = 200

export interface StoredState {
  state: RoutingState
  /** The operation that wrote this revision (null in states written before operation ids existed). */
  op: string | null
  /** "operationId:revision", newest first. */
  ops: string[]
}

export interface SyncOptions {
  target: WriteTarget
  instanceId: string
  logger: Logger
  log: ControlLog
  pending: PendingWrites
  /** Writes the next revision with Redis's contents, expecting `revision` (the split is then gone on every instance). */
  reconcile: (revision: number, reason: string) => Promise<void>
}

export class StateSync {
  readonly #o: SyncOptions
  #stored: StoredState = { state: { revision: 0, models: {} }, op: null, ops: [] }
  #listeners = new Set<StateListener>()
  #running: Promise<void> | undefined
  #again = false
  #ready = false
  #closed = false
  #reconnectedAt = 0

  constructor (o: SyncOptions) {
    this.#o = o
  }

  get state (): RoutingState { return this.#stored.state }

  /** HMGET revision, state, op, ops as a stored state, or null when Redis holds none. */
  static parse (fields: Array<string | null>): StoredState | null {
    const [, text, op, ops] = fields
    if (text === null || text === undefined) return null
    return { state: parseStoredState(text), op: op ?? null, ops: parseOps(ops) }
  }

  subscribe (listener: StateListener): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  close (): void {
    this.#closed = true
    this.#listeners.clear()
  }

  reconnected (): void {
    this.#reconnectedAt = Date.now()
  }

  /** Applies `s` if it is newer than what this instance has. */
  adopt (s: StoredState): void {
    if (s.state.revision <= this.#stored.state.revision) return
    this.#stored = s
    for (const l of this.#listeners) {
      try {
        l(s.state)
      } catch (err) {
        this.#o.logger.error({ err, revision: s.state.revision }, 'applying a routing state failed')
      }
    }
  }

  /** What the state this instance applied says of operation `id`. */
  operation (id: string): OperationView | null {
    const revision = revisionOfOp(this.#stored.ops, id)
    return revision === null ? null : { operationId: id, outcome: 'applied', revision, action: null, model: null, source: 'routing state' }
  }

  /** First start: the config's state goes into a Redis that holds none (audited as a seed by the config). */
  async seedFromConfig (initial: RoutingState): Promise<void> {
    const t = this.#o.target
    const op = randomUUID()
    const entry = auditEntry({ actor: 'config', action: 'seed', operationId: op, detail: { models: Object.keys(initial.models) } }, this.#o.instanceId, { revision: 0, models: {} }, initial)
    const [done] = await t.write.eval(SEED_SCRIPT, 2, t.keys.state, t.keys.audit, String(initial.revision), JSON.stringify(initial), t.keys.channel, op, JSON.stringify([`${op}:${initial.revision}`]), JSON.stringify(entry), String(t.auditCap)) as [number, string]
    if (done === 1) this.#o.log.append(auditRow(entry))
    const stored = await this.#fetch()
    if (stored === null) throw new Error('the state key vanished right after seeding')
    this.adopt(stored)
    this.#ready = true
  }

  /** Seeds Redis with this instance's state if Redis holds none (`held` null) or an older one; audited. */
  async reseed (held: StoredState | null): Promise<void> {
    if (!this.#ready) return
    const t = this.#o.target
    const s = this.#stored
    const entry: AuditEntry = {
      operationId: randomUUID(),
      at: new Date().toISOString(),
      actor: `state-store@${this.#o.instanceId}`,
      action: 'reseed',
      model: null,
      detail: { reason: held === null ? 'Redis held no routing state' : `Redis held revision ${held.state.revision}, older than this instance's`, revisionHeld: held?.state.revision ?? null },
      instanceId: this.#o.instanceId,
      revisionBefore: held?.state.revision ?? 0,
      revisionAfter: s.state.revision,
      before: null,
      after: null
    }
    const [done] = await t.write.eval(SEED_SCRIPT, 2, t.keys.state, t.keys.audit, String(s.state.revision), JSON.stringify(s.state), t.keys.channel, s.op ?? '', JSON.stringify(s.ops.slice(0, OPS_CAP)), JSON.stringify(entry), String(t.auditCap)) as [number, string]
    if (done !== 1) return
    this.#o.log.append(auditRow(entry))
    this.#o.logger.warn({ revision: s.state.revision, held: held?.state.revision ?? null }, 'Redis held no (or an older) routing state; seeded it with this instance\'s state')
  }

  /** The heartbeat's look at Redis's revision and operation id: anything different is fetched. */
  check (revision: string | null, op: string | null): void {
    const mine = this.#stored
    if (revision === null || Number(revision) !== mine.state.revision || (op !== null && mine.op !== null && op !== mine.op)) this.run()
  }

  /** Fetches and follows the stored state; concurrent calls fold into one more round. */
  run (): void {
    if (this.#closed || !this.#ready) return
    if (this.#running !== undefined) {
      this.#again = true
      return
    }
    this.#running = (async () => {
      do {
        this.#again = false
        try {
          await this.#follow()
        } catch (err) {
          this.#o.logger.debug({ err: (err as Error).message }, 'cannot synchronise the routing state yet')
        }
      } while (this.#again && !this.#closed)
    })().finally(() => { this.#running = undefined })
  }

  /**
   * Reads back the writes answered "outcome unknown". Each is settled once the
   * audit log says how it turned out (an entry in Redis and the durable record).
   */
  async settlePending (): Promise<void> {
    const t = this.#o.target
    const res = await t.read.pipeline().time().hmget(t.keys.state, 'revision', 'ops').exec()
    const [timeErr, time] = res![0]!
    const [fieldsErr, fields] = res![1]!
    if (timeErr !== null || fieldsErr !== null) throw timeErr ?? fieldsErr
    const now = redisMs(time as string[])
    const [revision, ops] = fields as [string | null, string | null]
    const gen = t.generation()
    for (const p of this.#o.pending.all()) {
      const sameServer = p.generation === gen || Date.now() - this.#reconnectedAt >= RESEED_GRACE_MS
      const o = outcomeFrom(now, p.deadline, revisionOfOp(parseOps(ops), p.operationId), sameServer)
      if (o === 'wait') continue
      if (o.outcome === 'applied' && p.replicaShortfall && p.generation === gen && await t.write.wait(t.minReplicaAcks, SETTLE_WAIT_MS) < t.minReplicaAcks) continue
      await this.#settle(p, o, Number(revision ?? 0))
    }
  }

  async #settle (p: PendingWrite, o: Settled, current: number): Promise<void> {
    const t = this.#o.target
    const note: AuditEntry = {
      operationId: `${p.operationId}:outcome`,
      at: new Date().toISOString(),
      actor: `state-store@${this.#o.instanceId}`,
      action: OUTCOME_ACTION,
      model: p.model,
      detail: { operationId: p.operationId, action: p.action, actor: p.actor, outcome: o.outcome, revision: o.revision, answeredAt: new Date(p.since).toISOString() },
      instanceId: this.#o.instanceId,
      revisionBefore: current,
      revisionAfter: current,
      before: null,
      after: null
    }
    await t.write.eval(NOTE_SCRIPT, 1, t.keys.audit, JSON.stringify(note), String(t.auditCap))
    if (o.outcome === 'applied') {
      // This instance never saw the write answered, so its entry has not reached the durable record yet.
      const own = (await t.read.lrange(t.keys.audit, 0, t.auditCap - 1)).map(r => JSON.parse(r) as AuditEntry).find(e => e.operationId === p.operationId)
      if (own !== undefined) this.#o.log.append(auditRow(own))
    }
    this.#o.log.append(auditRow(note))
    this.#o.pending.settle(p.operationId, o)
    this.#o.logger.info({ operationId: p.operationId, action: p.action, outcome: o.outcome, revision: o.revision }, 'read back the outcome of an admin write answered "outcome unknown"')
  }

  async #follow (): Promise<void> {
    const stored = await this.#fetch()
    const mine = this.#stored
    if (stored === null || stored.state.revision < mine.state.revision) return this.reseed(stored)
    if (stored.state.revision === mine.state.revision && stored.op !== null && mine.op !== null && stored.op !== mine.op) {
      const reason = `Redis and instance ${this.#o.instanceId} held different states at revision ${mine.state.revision} (after a failover); Redis's is kept`
      this.#o.logger.warn({ revision: mine.state.revision }, reason)
      return this.#o.reconcile(stored.state.revision, reason)
    }
    this.adopt(stored)
  }

  async #fetch (): Promise<StoredState | null> {
    const t = this.#o.target
    return StateSync.parse(await t.read.hmget(t.keys.state, 'revision', 'state', 'op', 'ops'))
  }
}
