/**
 * Reading the audit log and looking an operation up, from the store's own copy
 * and the durable control log together. The store's copy (Redis's list, the
 * memory store's list) is capped and goes with Redis; the durable copy keeps
 * everything. Both are read when the store's copy holds fewer entries than
 * asked for (after an empty restart it holds only what came since) or does not
 * answer; entries are merged by operation id.
 */
import type { ControlLog } from './control-log.js'
import { entriesOf, mergeNewest } from './control-log.js'
import { auditKey, type AuditEntry, type OperationView } from './store.js'

/** Action of the audit entry that records how a write answered "outcome unknown" turned out. */
export const OUTCOME_ACTION = 'operation-outcome'

export async function auditWithRecord (fromStore: () => Promise<AuditEntry[]>, limit: number, log: ControlLog): Promise<AuditEntry[]> {
  let own: AuditEntry[] | null = null
  let failure: unknown
  try {
    own = await fromStore()
  } catch (err) {
    failure = err
  }
  if (own !== null && own.length >= limit) return own
  const durable = await log.read({ kind: 'audit', limit })
  if (durable === null || 'error' in durable) {
    if (own !== null) return own
    throw failure
  }
  return mergeNewest(own ?? [], entriesOf<AuditEntry>(durable.rows), auditKey, e => Date.parse(e.at), limit)
}

/** What the audit entries say of operation `id`: its own entry (applied), or the entry that settled it. */
export function operationFromAudit (id: string, entries: readonly AuditEntry[], source: string): OperationView | null {
  for (const e of entries) {
    if (e.operationId === id && e.action !== OUTCOME_ACTION) {
      return { operationId: id, outcome: 'applied', revision: e.revisionAfter, action: e.action, model: e.model, source }
    }
    const d = e.detail as { operationId?: unknown, outcome?: unknown, action?: unknown, revision?: unknown }
    if (e.action === OUTCOME_ACTION && d.operationId === id && (d.outcome === 'applied' || d.outcome === 'not-applied')) {
      return { operationId: id, outcome: d.outcome, revision: typeof d.revision === 'number' ? d.revision : null, action: typeof d.action === 'string' ? d.action : null, model: e.model, source }
    }
  }
  return null
}

/** Looks `id` up in the durable control log (its own entry, then the entry that settled it). */
export async function operationFromRecord (id: string, log: ControlLog): Promise<OperationView | null> {
  for (const key of [id, `${id}:outcome`]) {
    const r = await log.read({ kind: 'audit', id: key, limit: 5 })
    if (r === null || 'error' in r) return null
    const found = operationFromAudit(id, entriesOf<AuditEntry>(r.rows), r.source)
    if (found !== null) return found
  }
  return null
}
