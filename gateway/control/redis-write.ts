/**
 * One compare-and-set write of the Redis store with a definite outcome.
 *
 * The write carries a deadline on Redis's own clock (the time Redis gave when
 * the state was read, plus WRITE_DEADLINE_MS) and its operation id. The script
 * refuses to run after the deadline, so a write that waited behind
 * `CLIENT PAUSE … WRITE` or a stalled server while the gateway answered cannot
 * apply later. When the write's answer does not come (timeout, dropped
 * connection), its outcome is read back on the reader connection (which a
 * write pause does not hold up): once Redis's clock is past the deadline, the
 * state either records the operation id or never will. Only when no read-back
 * succeeds in READ_BACK_BUDGET_MS is the outcome unknown; the store then keeps
 * it pending and settles it when Redis answers again.
 *
 * With `minReplicaAcks`, a write is acknowledged only once that many replicas
 * have it (WAIT), so a failover that promotes a replica does not lose it.
 */
import type { Redis } from 'ioredis'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RoutingState } from '../state/routing-state.js'
import type { AuditEntry } from './store.js'
import { CAS_SCRIPT, OPS_CAP, parseOps, revisionOfOp } from './redis-scripts.js'
import { redisMs } from './redis-connection.js'
import { outcomeFrom } from './pending-writes.js'

/** From reading the state to the last moment Redis may run the write. Below the command timeout, so a timed-out write is past it by the time its outcome is read. */
export const WRITE_DEADLINE_MS = 900
/** How long after a write without an answer the gateway tries to read its outcome back before it answers "unknown". */
export const READ_BACK_BUDGET_MS = 2_000
/** How long a write waits for its replicas (with minReplicaAcks). */
export const REPLICA_WAIT_MS = 500
const READ_BACK_RETRY_MS = 100
/** ioredis's message for a command it refused to send (not connected, offline queue off): certainly not applied. */
const NOT_SENT = "Stream isn't writeable"

export type WriteResult =
  | { kind: 'applied', revision: number }
  | { kind: 'stale', actual: number }
  | { kind: 'not-applied', reason: string }
  | { kind: 'unknown', reason: string, replicaShortfall: boolean }

export interface WriteTarget {
  write: Redis
  read: Redis
  keys: { state: string, audit: string, channel: string }
  auditCap: number
  minReplicaAcks: number
  /** Bumped whenever a connection is re-established (it may now reach another server). */
  generation (): number
}

export interface WriteArgs {
  base: RoutingState
  next: RoutingState
  entry: AuditEntry
  operationId: string
  /** Epoch ms on Redis's clock. */
  deadline: number
}

export async function casWrite (t: WriteTarget, a: WriteArgs): Promise<WriteResult> {
  const gen = t.generation()
  let answer: [number, string]
  try {
    answer = await t.write.eval(
      CAS_SCRIPT, 2, t.keys.state, t.keys.audit,
      String(a.base.revision), JSON.stringify(a.next), String(a.next.revision), JSON.stringify(a.entry),
      String(t.auditCap), t.keys.channel, a.operationId, String(a.deadline), String(OPS_CAP)
    ) as [number, string]
  } catch (err) {
    const msg = (err as Error).message
    if (msg.startsWith(NOT_SENT)) return { kind: 'not-applied', reason: `not sent: ${msg}` }
    return readBack(t, a, gen, `no answer to the write: ${msg}`)
  }
  const [code, value] = answer
  if (code === 0) return { kind: 'stale', actual: Number(value) }
  if (code === -1) return { kind: 'not-applied', reason: `Redis ran the write ${Number(value) - a.deadline + WRITE_DEADLINE_MS} ms after the state was read, past its ${WRITE_DEADLINE_MS} ms deadline, and refused it` }
  return replicated(t, a.next.revision)
}

async function replicated (t: WriteTarget, revision: number): Promise<WriteResult> {
  if (t.minReplicaAcks <= 0) return { kind: 'applied', revision }
  let acks: number
  try {
    acks = await t.write.wait(t.minReplicaAcks, REPLICA_WAIT_MS)
  } catch (err) {
    return { kind: 'unknown', reason: `stored on the primary, but waiting for ${t.minReplicaAcks} replica(s) failed: ${(err as Error).message}`, replicaShortfall: true }
  }
  if (acks >= t.minReplicaAcks) return { kind: 'applied', revision }
  return { kind: 'unknown', reason: `stored on the primary, but only ${acks} of ${t.minReplicaAcks} replica(s) confirmed it within ${REPLICA_WAIT_MS} ms; a failover now could lose it`, replicaShortfall: true }
}

async function readBack (t: WriteTarget, a: WriteArgs, gen: number, why: string): Promise<WriteResult> {
  const until = Date.now() + READ_BACK_BUDGET_MS
  let last = why
  while (Date.now() < until) {
    try {
      const res = await t.read.pipeline().time().hget(t.keys.state, 'ops').exec()
      const [timeErr, time] = res?.[0] ?? [new Error('no answer'), null]
      const [opsErr, ops] = res?.[1] ?? [new Error('no answer'), null]
      if (timeErr !== null || opsErr !== null) throw timeErr ?? opsErr
      const now = redisMs(time as string[])
      const o = outcomeFrom(now, a.deadline, revisionOfOp(parseOps(ops as string | null), a.operationId), gen === t.generation())
      if (o !== 'wait') {
        if (o.outcome === 'not-applied') return { kind: 'not-applied', reason: `${why}; read back after its deadline: not applied` }
        // Applied, but this instance never saw the answer: with replicas required, it cannot vouch for them.
        return t.minReplicaAcks > 0 ? { kind: 'unknown', reason: `${why}; read back: stored at revision ${o.revision}, replicas not confirmed`, replicaShortfall: true } : { kind: 'applied', revision: o.revision! }
      }
      last = gen === t.generation() ? `${why}; Redis's clock not yet past the deadline` : `${why}; the connection was re-established meanwhile, possibly to another server`
      await sleep(Math.max(READ_BACK_RETRY_MS, Math.min(a.deadline - now + 5, until - Date.now())))
    } catch (err) {
      last = `${why}; reading the outcome back failed: ${(err as Error).message}`
      await sleep(READ_BACK_RETRY_MS)
    }
  }
  return { kind: 'unknown', reason: last, replicaShortfall: false }
}
