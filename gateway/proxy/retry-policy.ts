/**
 * When a failed request is sent again, and by when it must be answered: pure
 * decisions, so the policy is read (and tested) apart from the I/O in send.ts.
 * Which failures qualify is upstream.ts's `mayRetry` (no byte reached the
 * model; or the model is idempotent and the connection dropped before any
 * response byte; never a timeout).
 */
import { mayRetry, UpstreamFailure } from './upstream.js'

export interface RetryCircumstances {
  /** The model's `idempotent` setting. */
  readonly idempotent: boolean
  /** The client went away: nobody waits for a second answer. */
  readonly cancelled: boolean
  /** performance.now() when the first attempt failed. */
  readonly now: number
  /** The request's one deadline (requestDeadline), which the retry shares. */
  readonly deadline: number
}

/** Whether the failed first attempt is tried once more, on another replica. */
export function retryOnAnotherReplica (err: unknown, c: RetryCircumstances): boolean {
  return err instanceof UpstreamFailure && !c.cancelled && mayRetry(err, c.idempotent) && c.now < c.deadline
}

/**
 * The one deadline of a request, retries included (performance.now() time): the
 * model's request timeout from arrival, or the client's own deadline when that
 * is earlier.
 */
export function requestDeadline (start: number, requestTimeoutMs: number, clientDeadline: number | undefined): number {
  const own = start + requestTimeoutMs
  return clientDeadline !== undefined && clientDeadline < own ? clientDeadline : own
}
