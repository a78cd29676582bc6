/**
 * Packing rows into micro-batches: one open batch per version group, sealed
 * when it holds `batchSize` rows (or on demand, when the oldest row in the
 * window waits in it), and handed out in the order they were sealed.
 */
import type { Entry } from './entry.js'

export interface MicroBatch {
  rows: Entry[]
  /** The version asked for; undefined: the gateway chooses. */
  version: string | undefined
}

/** Sealed batches are taken from a head index; the list is cut once this many were taken. */
export const COMPACT_AT = 8192

export class MicroBatcher {
  readonly #batchSize: number
  readonly #version: string | undefined
  readonly #open = new Map<string, Entry[]>()
  // Taken from #readyHead: shift() would move the whole array each time at batch size 1.
  #ready: MicroBatch[] = []
  #readyHead = 0

  /** `version`: the version of the ungrouped rows (group ''), as the job names it. */
  constructor (batchSize: number, version: string | undefined) {
    this.#batchSize = batchSize
    this.#version = version
  }

  /** Adds a row to its group's open batch; a full batch is sealed. */
  add (entry: Entry): void {
    const rows = this.#open.get(entry.group) ?? []
    rows.push(entry)
    this.#open.set(entry.group, rows)
    if (rows.length >= this.#batchSize) this.seal(entry.group)
  }

  /** Seals the group's open batch as it is (nothing when it has none). */
  seal (group: string): void {
    const rows = this.#open.get(group)
    if (rows === undefined || rows.length === 0) return
    this.#open.delete(group)
    for (const r of rows) r.sent = true
    this.#ready.push({ rows, version: group === '' ? this.#version : group })
  }

  /** At the end of the input: every partial batch is sealed. */
  sealAll (): void {
    for (const g of [...this.#open.keys()]) this.seal(g)
  }

  /** Sealed batches not yet taken. */
  get waiting (): boolean {
    return this.#readyHead < this.#ready.length
  }

  /** The oldest sealed batch not yet taken. */
  take (): MicroBatch | undefined {
    if (!this.waiting) return undefined
    const batch = this.#ready[this.#readyHead++]!
    if (this.#readyHead >= COMPACT_AT) {
      this.#ready = this.#ready.slice(this.#readyHead)
      this.#readyHead = 0
    }
    return batch
  }
}
