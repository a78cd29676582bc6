// What the admin API answers, as far as the console reads it.
export interface ReplicaView { url: string, healthy: boolean | null, ejected: boolean | null, inflight: number | null, discovered?: boolean }
export interface VersionView {
  name: string
  role: 'stable' | 'canary' | 'active' | 'preview' | 'split' | 'idle'
  weight: number
  replicas: ReplicaView[]
  healthyReplicas: number
  totalReplicas: number
  sampleRate: number | null
  verified: boolean | null
}
export interface ModelView {
  name: string
  strategy: 'canary' | 'blue-green' | 'split'
  stable: string
  candidate: string | null
  releaseName: string
  split: Array<{ version: string, weight: number }>
  versions: VersionView[]
  served: boolean
  requireVerification: boolean
  shadow: { version: string, weight: number } | null
}
export interface Check { check: string, verdict: 'pass' | 'fail' | 'inconclusive', summary: string, figures: Record<string, number | null> }
export interface JournalEntry { at: number, instanceId: string, action: string, step: number, weight: number, reason: string, checks: Check[], rolloutId: string }
export type RolloutStatus = 'running' | 'paused' | 'held' | 'promoted' | 'rolled-back' | 'aborted' | 'superseded'
export interface PlanStep { kind: 'weight', weight: number, bakeMs: number }
export interface GateStep { kind: 'gate' }
export interface RolloutRecord { id: string, version: string, stable: string, status: RolloutStatus, step: number, reason: string | null, checks: Check[], plan: { steps: Array<PlanStep | GateStep> } }
export interface RolloutView {
  model: string
  version: string
  stable: string
  status: RolloutStatus
  reason: string | null
  step: number
  steps: number
  stepKind: 'weight' | 'gate' | 'done'
  weight: number
  bakeMs: number | null
  elapsedMs: number
  remainingMs: number | null
  progress: number
  startedAt: string
  startedBy: string
  endedAt: string | null
  last: JournalEntry | null
}
export interface RolloutAnswer { revision: number, rollout: RolloutRecord, view: RolloutView }
export interface AuditEntry { at: string, actor: string, action: string, model: string | null, detail: Record<string, unknown>, instanceId: string, revisionBefore: number, revisionAfter: number }
export interface SeriesPoint { t: number, requests: number, rps: number, errorRate: number | null, p50: number | null, p95: number | null, p99: number | null, output: { n: number, p10: number, p50: number, p90: number } | null }
export interface SeriesAnswer { source: 'local' | 'clickhouse', step: number, from: number, to: number, versions: Array<{ version: string, points: SeriesPoint[] }> }
export interface InstanceView { instanceId: string, revision: number, startedAt: string, lastSeen: string, address: string | null, current: boolean, self: boolean }
export interface ShadowSummary { shadowVersion: string, pairs: number, bothAnswered: number, exactAgreement: number | null, toleranceAgreement: number | null, tolerance: number, diffP50: number | null, diffP99: number | null, primaryP50Ms: number | null, shadowP50Ms: number | null, shadowErrors: number }
export interface ShadowAnswer { shadow: { version: string, weight: number } | null, summary: ShadowSummary | null }
