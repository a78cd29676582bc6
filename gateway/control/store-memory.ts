/**
 * The embedded state store: the state lives in this process. With a state file,
 * every change is written to it (temporary file + rename, so a crash leaves the
 * old or the new state, never half of one) and a restart resumes the last state.
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import type { Logger } from '../observe/log.js'
import type { RoutingState } from '../state/routing-state.js'
import type { Operation } from './operations.js'
import { errors } from '../errors.js'
import { randomUUID } from 'node:crypto'
import { auditEntry, auditRow, tagged, DEFAULT_AUDIT_CAP, missingModels, parseStoredState, seedMissingModels, type AuditEntry, type AuditInput, type InstanceInfo, type OperationView, type StateListener, type StateStore, type StoreHealth } from './store.js'
import { ControlLog } from './control-log.js'
import { auditWithRecord, operationFromAudit, operationFromRecord } from './audit-read.js'

export interface MemoryStoreOptions {
  /** Keep the state in this file. */
  file?: string | undefined
  instanceId: string
  logger: Logger
  auditCap?: number
  /** The durable record of audit entries (a file for the embedded default), read back after a restart. */
  controlLog?: ControlLog
}

export class MemoryStateStore implements StateStore {
  readonly kind = 'memory'
  readonly #file: string | undefined
  readonly #instanceId: string
  readonly #logger: Logger
  readonly #auditCap: number
  readonly #log: ControlLog
  readonly #startedAt = new Date().toISOString()
  #state: RoutingState = { revision: 0, models: {} }
  #audit: AuditEntry[] = []
  #listeners = new Set<StateListener>()
  #address: string | null = null
  /** Updates run one after another, so each compare-and-set sees the previous one's result. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor (opts: MemoryStoreOptions) {
    this.#file = opts.file
    this.#instanceId = opts.instanceId
    this.#logger = opts.logger
    this.#auditCap = opts.auditCap ?? DEFAULT_AUDIT_CAP
    this.#log = opts.controlLog ?? ControlLog.none(opts.logger)
  }

  async init (initial: RoutingState): Promise<RoutingState> {
    this.#state = initial
    if (this.#file === undefined) return this.#state
    let text: string | undefined
    try {
      text = await readFile(this.#file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the state file ${this.#file}: ${(err as Error).message}`)
    }
    if (text === undefined) {
      await this.#write(initial)
      return this.#state
    }
    try {
      this.#state = parseStoredState(text)
    } catch (err) {
      throw new Error(`the state file ${this.#file} is not a routing state (${(err as Error).message}); fix or remove it`)
    }
    this.#logger.info({ file: this.#file, revision: this.#state.revision }, 'resumed the routing state from the state file')
    if (missingModels(this.#state, initial).length > 0) {
      await this.update(undefined, seedMissingModels(initial), { actor: 'config', action: 'seed-models', detail: { models: missingModels(this.#state, initial) } })
    }
    return this.#state
  }

  get (): RoutingState {
    return this.#state
  }

  update (expectedRevision: number | undefined, op: Operation, input: AuditInput): Promise<RoutingState> {
    const audit = { ...input, operationId: input.operationId ?? randomUUID() }
    const run = (): Promise<RoutingState> => tagged(audit.operationId, async () => {
      const before = this.#state
      if (expectedRevision !== undefined && expectedRevision !== before.revision) throw errors.staleRevision(expectedRevision, before.revision)
      const after = op(before)
      await this.#write(after)
      this.#state = after
      const entry = auditEntry(audit, this.#instanceId, before, after)
      this.#audit.unshift(entry)
      if (this.#audit.length > this.#auditCap) this.#audit.length = this.#auditCap
      this.#log.append(auditRow(entry))
      for (const l of this.#listeners) l(after)
      return after
    })
    const result = this.#queue.then(run, run)
    this.#queue = result.catch(() => undefined)
    return result
  }

  subscribe (listener: StateListener): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  async audit (limit: number): Promise<AuditEntry[]> {
    return auditWithRecord(async () => this.#audit.slice(0, limit), limit, this.#log)
  }

  async operation (id: string): Promise<OperationView> {
    return operationFromAudit(id, this.#audit, 'audit log') ?? await operationFromRecord(id, this.#log) ??
      { operationId: id, outcome: 'unknown', revision: null, action: null, model: null, source: 'no record of this operation' }
  }

  /** In-process: always answers (a state file that cannot be written fails that write alone). */
  health (): StoreHealth {
    return { kind: 'memory', available: true, unavailableSince: null, error: null, pendingOperations: [] }
  }

  async instances (): Promise<InstanceInfo[]> {
    const now = new Date().toISOString()
    return [{ instanceId: this.#instanceId, revision: this.#state.revision, startedAt: this.#startedAt, lastSeen: now, address: this.#address }]
  }

  async latestRevision (): Promise<number> {
    return this.#state.revision
  }

  setAddress (address: string): void {
    this.#address = address
  }

  async close (): Promise<void> {
    await this.#queue
    this.#listeners.clear()
  }

  async #write (state: RoutingState): Promise<void> {
    if (this.#file === undefined) return
    const tmp = `${this.#file}.${process.pid}.tmp`
    try {
      await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`)
      await rename(tmp, this.#file)
    } catch (err) {
      throw errors.stateUnavailable(`cannot write the state file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err)
    }
  }
}
