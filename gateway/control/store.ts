/**
 * Where the routing state lives: one small async interface, two backends. The
 * memory store (optionally backed by a state file) is the embedded default; the
 * Redis store shares one state across a fleet of gateway instances with
 * compare-and-set on the revision and pub/sub to spread changes.
 */
import { randomUUID } from 'node:crypto'
import type { ModelState, RoutingState } from '../state/routing-state.js'
import { controlRow, type ControlRow } from '../observe/control-row.js'
import type { Operation } from './operations.js'
import { GatewayError } from '../errors.js'

/** Who changed what; the store adds when, the revisions and the model before/after. */
export interface AuditInput {
  /** The admin token's name (never the token). */
  actor: string
  action: string
  model?: string
  detail?: Record<string, unknown>
  /** The write's id, answered to the caller; the store makes one when none is given. */
  operationId?: string
}

export interface AuditEntry {
  at: string
  actor: string
  action: string
  model: string | null
  detail: Record<string, unknown>
  instanceId: string
  revisionBefore: number
  revisionAfter: number
  before: ModelState | null
  after: ModelState | null
  /** The write that made this entry (absent in entries written before operation ids existed). */
  operationId?: string
}

/** Whether the store answers, as this instance sees it (the admin view, rollout status and /metrics show it). */
export interface StoreHealth {
  kind: 'memory' | 'redis'
  available: boolean
  /** ISO time of the first failure since the store last answered; null while it answers. */
  unavailableSince: string | null
  /** Why it is unavailable (the last failure). */
  error: string | null
  /** Writes answered GW_WRITE_OUTCOME_UNKNOWN whose outcome this instance has not read back yet. */
  pendingOperations: PendingOperationView[]
}

export interface PendingOperationView {
  operationId: string
  action: string
  model: string | null
  actor: string
  /** ISO time the write was answered "outcome unknown". */
  since: string
}

/** What GET /admin/operations/:id answers. */
export interface OperationView {
  operationId: string
  /**
   * applied: the state holds it (revision says which); not-applied: read back
   * after its deadline and absent, so it never will; pending: not read back yet;
   * unknown: no record of this id here.
   */
  outcome: 'applied' | 'not-applied' | 'pending' | 'unknown'
  revision: number | null
  action: string | null
  model: string | null
  /** Where the answer comes from: the state, this instance's pending list, the audit log. */
  source: string
}

export interface InstanceInfo {
  instanceId: string
  /** The revision this instance has applied. */
  revision: number
  startedAt: string
  lastSeen: string
  /** Admin base URL of the instance, once it listens. */
  address: string | null
}

export type StateListener = (state: RoutingState) => void

export interface StateStore {
  readonly kind: 'memory' | 'redis'
  /** Loads the stored state, seeding the store with `initial` when it holds none. */
  init (initial: RoutingState): Promise<RoutingState>
  /** The state this instance has applied last (no I/O: answers even when Redis is away). */
  get (): RoutingState
  /**
   * Compare-and-set: applies `op` to the current state and stores the result if the
   * revision is still `expectedRevision` (409 GW_CONFLICT otherwise). Without an
   * expected revision it retries a few times on concurrent writes. Listeners hear
   * of the new state before this resolves.
   */
  update (expectedRevision: number | undefined, op: Operation, audit: AuditInput): Promise<RoutingState>
  /** Called with every newer state, whichever instance wrote it. Returns an unsubscribe function. */
  subscribe (listener: StateListener): () => void
  /** Newest first. */
  audit (limit: number): Promise<AuditEntry[]>
  /** Instances sharing this state (the memory store knows only itself). */
  instances (): Promise<InstanceInfo[]>
  /** The newest revision the store holds (for telling which instances are current). */
  latestRevision (): Promise<number>
  /** Where this instance's admin API listens; reported with its heartbeat. */
  setAddress (address: string): void
  /** Whether the store answers (no I/O). */
  health (): StoreHealth
  /** The outcome of the write with this operation id. */
  operation (id: string): Promise<OperationView>
  close (): Promise<void>
}

export const DEFAULT_AUDIT_CAP = 1000
/** How many times an update without an expected revision re-reads and retries after losing a race. */
export const CAS_RETRIES = 5

export function auditEntry (input: AuditInput, instanceId: string, before: RoutingState, after: RoutingState): AuditEntry {
  const model = input.model ?? null
  return {
    operationId: input.operationId ?? randomUUID(),
    at: new Date().toISOString(),
    actor: input.actor,
    action: input.action,
    model,
    detail: input.detail ?? {},
    instanceId,
    revisionBefore: before.revision,
    revisionAfter: after.revision,
    before: model === null ? null : before.models[model] ?? null,
    after: model === null ? null : after.models[model] ?? null
  }
}

/** Runs a write, marking any GatewayError it throws with the write's operation id (answers of refused writes carry it too). */
export async function tagged<T> (operationId: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (err) {
    if (err instanceof GatewayError && err.operationId === undefined) err.operationId = operationId
    throw err
  }
}

/** Rejects a stored state that is not shaped like one, so a corrupt file or key never reaches the router. */
export function parseStoredState (text: string): RoutingState {
  const v = JSON.parse(text) as Partial<RoutingState> | null
  if (v === null || typeof v !== 'object' || !Number.isInteger(v.revision) || v.models === null || typeof v.models !== 'object') {
    throw new Error('stored routing state has no integer revision or no models')
  }
  return v as RoutingState
}

/** Names the models a config declares but the stored state lacks (a model added to the config since the state was seeded). */
export function missingModels (stored: RoutingState, initial: RoutingState): string[] {
  return Object.keys(initial.models).filter(m => stored.models[m] === undefined)
}

/** Adds the config's models the stored state lacks, as the config declares them; models already stored stay as the operators left them. */
export function seedMissingModels (initial: RoutingState): Operation {
  return (state) => {
    const models = { ...state.models }
    for (const m of missingModels(state, initial)) models[m] = structuredClone(initial.models[m]!)
    return { ...state, revision: state.revision + 1, models }
  }
}

/** What a (reloaded) config declares that the stored state lacks: whole models, and versions of stored models. */
export function configAdditions (stored: RoutingState, initial: RoutingState): { models: string[], versions: Array<{ model: string, version: string }> } {
  const versions: Array<{ model: string, version: string }> = []
  for (const [m, ms] of Object.entries(initial.models)) {
    const have = stored.models[m]
    if (have === undefined) continue
    for (const v of Object.keys(ms.versions)) if (have.versions[v] === undefined) versions.push({ model: m, version: v })
  }
  return { models: missingModels(stored, initial), versions }
}

/**
 * Adds what a reloaded config declares and the stored state lacks: new models as
 * the config declares them, new versions of stored models at 0% traffic with the
 * config's replicas. What the state has stays as the operators left it.
 */
export function seedFromConfig (initial: RoutingState): Operation {
  return (state) => {
    const add = configAdditions(state, initial)
    const models = { ...state.models }
    for (const m of add.models) models[m] = structuredClone(initial.models[m]!)
    for (const { model, version } of add.versions) {
      const ms = models[model] === state.models[model] ? structuredClone(models[model]!) : models[model]!
      ms.versions[version] = structuredClone(initial.models[model]!.versions[version]!)
      models[model] = ms
    }
    return { ...state, revision: state.revision + 1, models }
  }
}

/** An audit entry as a row of the durable control log. */
export function auditRow (e: AuditEntry): ControlRow {
  return controlRow('audit', { id: auditKey(e), at: Date.parse(e.at), model: e.model, instanceId: e.instanceId, action: e.action, revision: e.revisionAfter }, e)
}

/** The identity of an audit entry: its operation id (older entries: when, where and which revision). */
export function auditKey (e: AuditEntry): string {
  return e.operationId ?? `${e.at}/${e.instanceId}/${e.revisionAfter}`
}
