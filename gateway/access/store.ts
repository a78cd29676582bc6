/**
 * Where the access state lives: one small async interface, two backends, as
 * for the routing state. The memory store (optionally backed by a file) is the
 * embedded default; the Redis store (store-redis.ts) shares one access state
 * across a fleet, so a key revoked on one instance stops working on all of
 * them within a second. Changes are compare-and-set on the revision, run in
 * order, and audited (who, what; never a key).
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import type { Logger } from '../observe/log.js'
import { errors } from '../errors.js'
import { parseAccessState, type AccessState, type ApplicationState } from '../state/access-state.js'
import { missingApplications, seedApplications, type AccessOperation } from './operations.js'

export interface AccessAuditInput {
  /** The admin token's name, or "config". */
  actor: string
  action: string
  application: string | null
  /** Key names and ids, scopes: never a key or a hash. */
  detail?: Record<string, unknown>
}

export interface AccessAuditEntry extends Required<AccessAuditInput> {
  at: string
  instanceId: string
  revision: number
}

export type AccessListener = (state: AccessState) => void

export interface AccessStore {
  readonly kind: 'memory' | 'redis'
  /** Loads the stored state and adds the config's applications it lacks. */
  init (initial: Record<string, ApplicationState>): Promise<AccessState>
  /** The state this instance has applied last (no I/O). */
  get (): AccessState
  /** Applies `op` to the newest state and stores the result; listeners hear of it before this resolves. */
  update (op: AccessOperation, audit: AccessAuditInput): Promise<AccessState>
  /** Called with every newer state, whichever instance wrote it. */
  subscribe (listener: AccessListener): () => void
  /** Newest first. */
  audit (limit: number): Promise<AccessAuditEntry[]>
  close (): Promise<void>
}

export const ACCESS_AUDIT_CAP = 1000
export const EMPTY_ACCESS: AccessState = Object.freeze({ revision: 0, applications: {} })

export function auditEntry (input: AccessAuditInput, instanceId: string, revision: number): AccessAuditEntry {
  return { at: new Date().toISOString(), actor: input.actor, action: input.action, application: input.application, detail: input.detail ?? {}, instanceId, revision }
}

/** Adds the config's applications the store lacks, audited as the config's doing. */
export async function seedFromConfig (store: AccessStore, initial: Record<string, ApplicationState>): Promise<void> {
  const missing = missingApplications(store.get(), initial)
  if (missing.length > 0) await store.update(seedApplications(initial), { actor: 'config', action: 'seed-applications', application: null, detail: { applications: missing } })
}

export interface MemoryAccessStoreOptions {
  file?: string | undefined
  instanceId: string
  logger: Logger
}

export class MemoryAccessStore implements AccessStore {
  readonly kind = 'memory'
  readonly #opts: MemoryAccessStoreOptions
  #state: AccessState = EMPTY_ACCESS
  #audit: AccessAuditEntry[] = []
  #listeners = new Set<AccessListener>()
  #queue: Promise<unknown> = Promise.resolve()

  constructor (opts: MemoryAccessStoreOptions) {
    this.#opts = opts
  }

  async init (initial: Record<string, ApplicationState>): Promise<AccessState> {
    const file = this.#opts.file
    if (file !== undefined) {
      let text: string | undefined
      try {
        text = await readFile(file, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the access file ${file}: ${(err as Error).message}`)
      }
      if (text !== undefined) {
        try {
          this.#state = parseAccessState(text)
        } catch (err) {
          throw new Error(`the access file ${file} is not an access state (${(err as Error).message}); fix or remove it`)
        }
        this.#opts.logger.info({ file, revision: this.#state.revision }, 'resumed applications and keys from the access file')
      }
    }
    await seedFromConfig(this, initial)
    return this.#state
  }

  get (): AccessState {
    return this.#state
  }

  update (op: AccessOperation, audit: AccessAuditInput): Promise<AccessState> {
    const run = async (): Promise<AccessState> => {
      const after = op(this.#state)
      await this.#write(after)
      this.#state = after
      this.#audit.unshift(auditEntry(audit, this.#opts.instanceId, after.revision))
      if (this.#audit.length > ACCESS_AUDIT_CAP) this.#audit.length = ACCESS_AUDIT_CAP
      for (const l of this.#listeners) l(after)
      return after
    }
    const result = this.#queue.then(run, run)
    this.#queue = result.catch(() => undefined)
    return result
  }

  subscribe (listener: AccessListener): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  async audit (limit: number): Promise<AccessAuditEntry[]> {
    return this.#audit.slice(0, limit)
  }

  async close (): Promise<void> {
    await this.#queue
    this.#listeners.clear()
  }

  async #write (state: AccessState): Promise<void> {
    const file = this.#opts.file
    if (file === undefined) return
    const tmp = `${file}.${process.pid}.tmp`
    try {
      // Hashes only, but still nobody else's business: owner read/write.
      await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 })
      await rename(tmp, file)
    } catch (err) {
      throw errors.stateUnavailable(`cannot write the access file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err)
    }
  }
}
