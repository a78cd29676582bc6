// What the admin API answers: the gateway's own types (type-only imports, gone
// from the bundle), so the console cannot drift from the API it reads.
import type { ModelView as GatewayModelView } from '../../gateway/admin/control-routes.js'
import type { RolloutView } from '../../gateway/release/status.js'
import type { RolloutRecord } from '../../gateway/state/rollout-record.js'
import type { AuditEntry, InstanceInfo } from '../../gateway/control/store.js'
import type { ShadowSummary } from '../../gateway/observe/shadow-tally.js'

export type { ReplicaView, VersionView } from '../../gateway/admin/control-routes.js'
export type { JournalEntry } from '../../gateway/release/coordination.js'
export type { RolloutRecord, RolloutStatus } from '../../gateway/state/rollout-record.js'
export type { RolloutView } from '../../gateway/release/status.js'
export type { SeriesAnswer, SeriesPoint } from '../../gateway/admin/series-routes.js'
export type { AuditEntry, ShadowSummary }

export type ModelView = GatewayModelView
/** GET /admin/models/{m}/rollout. */
export interface RolloutAnswer { revision: number, rollout: RolloutRecord, view: RolloutView }
/** GET /admin/instances: each instance as the store keeps it, and whether it is current and this one. */
export type InstanceView = InstanceInfo & { current: boolean, self: boolean }
/** GET /admin/models/{m}/shadow. */
export interface ShadowAnswer { shadow: { version: string, weight: number } | null, summary: ShadowSummary | null }
