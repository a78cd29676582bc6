/**
 * Scoring sealed micro-batches with bounded concurrency (scoreBatch retries
 * and bisects each one). Once stopped, by a failure or by the job's signal
 * (SIGTERM/SIGINT), no new batch is sent; those in flight finish. Counts
 * requests and retries for the progress display and the summary.
 */
import type { MicroBatcher } from './micro-batches.js'
import { BatchInterrupted, scoreBatch, type RetryPolicy, type ScoreContext } from './score.js'
import type { Transport } from './transport.js'

export interface PoolOptions {
  mappings: ScoreContext['mappings']
  concurrency: number
  policy: RetryPolicy
  signal?: AbortSignal
}

export class ScoringPool {
  readonly #ctx: ScoreContext
  readonly #concurrency: number
  readonly #batches: MicroBatcher
  readonly #onScored: () => void
  readonly #signal: AbortSignal | undefined
  #active = 0
  #wake: (() => void) | undefined
  #failure: Error | undefined
  requests = 0
  retries = 0

  /** `onScored`: a batch's rows are all done (write what can be written). */
  constructor (transport: Pick<Transport, 'send'>, batches: MicroBatcher, o: PoolOptions, onScored: () => void) {
    this.#concurrency = o.concurrency
    this.#batches = batches
    this.#onScored = onScored
    this.#signal = o.signal
    this.#ctx = {
      mappings: o.mappings,
      send: (inputs, version) => { this.requests++; return transport.send(inputs, version) },
      policy: o.policy,
      onRetry: () => { this.retries++ },
      signal: o.signal
    }
  }

  /** The first failure that stops the job. */
  get failure (): Error | undefined {
    return this.#failure
  }

  fail (err: Error): void {
    this.#failure ??= err
  }

  stopped (): boolean {
    return this.#failure !== undefined || this.#signal?.aborted === true
  }

  /** No batch in flight and none waiting. */
  get idle (): boolean {
    return this.#active === 0 && !this.#batches.waiting
  }

  get active (): number {
    return this.#active
  }

  /** Sends sealed batches while a slot is free. */
  pump (): void {
    while (!this.stopped() && this.#active < this.#concurrency && this.#batches.waiting) {
      const batch = this.#batches.take()!
      this.#active++
      scoreBatch(this.#ctx, batch.rows, batch.version).then(() => {
        for (const r of batch.rows) r.done = true
        this.#onScored()
      }, (err: unknown) => {
        // An interrupted batch stays unwritten: the checkpoint ends before its first row.
        if (!(err instanceof BatchInterrupted)) this.fail(err as Error)
      }).finally(() => {
        this.#active--
        this.pump()
        this.#wake?.()
      })
    }
  }

  /** Resolves when a batch in flight ends. */
  settled (): Promise<void> {
    return new Promise<void>(resolve => { this.#wake = resolve })
  }
}
