/**
 * What the proxy tells the health layer about live traffic. The proxy calls these
 * on every upstream result; implementations keep them to a few field updates.
 */
import type { Replica } from './replica.js'
import type { Version as VersionRoute } from './router.js'

export interface ReplicaFeedback {
  /** A response came back that is not a 5xx. */
  success (replica: Replica): void
  /** The connection failed or the replica answered 5xx. */
  failure (replica: Replica, version: VersionRoute): void
}
