/**
 * Writes whose outcome the Redis store could not read back before it answered
 * (GW_WRITE_OUTCOME_UNKNOWN), until it does. Each has a deadline on Redis's own
 * clock after which its compare-and-set script refuses to run, so once Redis
 * answers with a time past the deadline, the outcome is final: applied if the
 * state records the operation id, not applied (and never to be) if it does not.
 *
 * Also keeps the last outcomes it settled, so GET /admin/operations/:id answers
 * without I/O for writes of this instance.
 */
import type { OperationView, PendingOperationView } from './store.js'

/** Settled outcomes remembered (oldest forgotten first). */
export const RESOLVED_KEEP = 1_000

export interface PendingWrite {
  operationId: string
  /** Epoch ms on Redis's clock after which the write cannot apply. */
  deadline: number
  action: string
  model: string | null
  actor: string
  /** Epoch ms (this instance's clock) when it was answered "outcome unknown". */
  since: number
  /** The store's connection generation when the write was sent (a reconnect may reach another server). */
  generation: number
  /** The write reached the primary but too few replicas confirmed it. */
  replicaShortfall: boolean
}

export type Settled = Pick<OperationView, 'outcome' | 'revision'> & { outcome: 'applied' | 'not-applied' }

export class PendingWrites {
  readonly #pending = new Map<string, PendingWrite>()
  readonly #resolved = new Map<string, Settled & { action: string, model: string | null }>()

  get size (): number { return this.#pending.size }

  add (p: PendingWrite): void {
    this.#pending.set(p.operationId, p)
  }

  all (): PendingWrite[] {
    return [...this.#pending.values()]
  }

  views (): PendingOperationView[] {
    return this.all().map(p => ({ operationId: p.operationId, action: p.action, model: p.model, actor: p.actor, since: new Date(p.since).toISOString() }))
  }

  settle (id: string, s: Settled): void {
    const p = this.#pending.get(id)
    if (p === undefined) return
    this.#pending.delete(id)
    this.#resolved.set(id, { ...s, action: p.action, model: p.model })
    if (this.#resolved.size > RESOLVED_KEEP) this.#resolved.delete(this.#resolved.keys().next().value!)
  }

  /** What this instance knows of `id` without I/O, or null. */
  view (id: string): OperationView | null {
    const p = this.#pending.get(id)
    if (p !== undefined) return { operationId: id, outcome: 'pending', revision: null, action: p.action, model: p.model, source: 'pending on this instance' }
    const r = this.#resolved.get(id)
    if (r !== undefined) return { operationId: id, outcome: r.outcome, revision: r.revision, action: r.action, model: r.model, source: 'read back by this instance' }
    return null
  }
}

/**
 * The outcome of a write from one read of Redis: its clock (`now`) and the
 * revision its `ops` record gives the write (null when absent). `sameServer`:
 * the read went to the server the write was sent to (no reconnect since).
 */
export function outcomeFrom (now: number, deadline: number, revision: number | null, sameServer: boolean): Settled | 'wait' {
  if (revision !== null) return { outcome: 'applied', revision }
  if (now > deadline && sameServer) return { outcome: 'not-applied', revision: null }
  return 'wait'
}
