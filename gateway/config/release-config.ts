/**
 * The release plane's part of a loaded config: the rollouts settings with
 * their defaults, and each model's verification suites and segments checked
 * (an error names the file, the path and the reason).
 */
import type { ClickHouseSecurity } from './connections.js'
import * as D from './defaults.js'
import type { GatewayEnv } from './env.js'
import { ConfigError } from './raw.js'
import type { GatewayConfigFile, ModelConfig, PolicyConfig, SuiteConfig, TemplateConfig } from './schema.js'

export interface ResolvedSegments {
  from: { kind: 'header' | 'cookie' | 'field', name: string }
  values: string[]
}

/** The segment of requests whose value is none of the configured ones. */
export const OTHER_SEGMENT = 'other'

export interface ResolvedRollouts {
  enabled: boolean
  source: 'local' | 'clickhouse'
  clickhouseUrl: string | undefined
  clickhouseDatabase: string | undefined
  clickhouse: ClickHouseSecurity
  tickMs: number
  leaseTtlMs: number
  staleAfterMs: number
  holdbackMs: number
  /** null: no bound. */
  maxInProgress: number | null
  templates: TemplateConfig[]
  policies: PolicyConfig[]
  drills: { everyMs: number | null, models: string[] | null, boundMs: number, weight: number }
  webhooks: Array<{ url: string, secret: string, events: Array<'rollout' | 'drill' | 'staleness'> }>
  /** Raw `release.rollout` plans by model, checked when the release controller starts. */
  plans: Record<string, unknown>
}

export function resolveRollouts (cfg: GatewayConfigFile, env: Readonly<GatewayEnv>, sink: string, clickhouse: ClickHouseSecurity): ResolvedRollouts {
  const ro = cfg.rollouts ?? {}
  const clickhouseUrl = ro.clickhouseUrl ?? env.CLICKHOUSE_URL
  const plans: Record<string, unknown> = {}
  for (const [name, m] of Object.entries(cfg.models)) if (m.release.rollout !== undefined) plans[name] = m.release.rollout
  return {
    enabled: ro.enabled ?? true,
    // A fleet with a pipeline judges canaries on fleet-wide data: each pod's
    // own traffic is only its share of the canary's.
    source: ro.source ?? (sink === 'kafka' && clickhouseUrl !== undefined ? 'clickhouse' : 'local'),
    clickhouseUrl,
    clickhouseDatabase: ro.clickhouseDatabase ?? env.CLICKHOUSE_DATABASE,
    clickhouse,
    tickMs: ro.tickMs ?? D.DEFAULT_ROLLOUT_TICK_MS,
    leaseTtlMs: ro.leaseTtlMs ?? D.DEFAULT_ROLLOUT_LEASE_TTL_MS,
    staleAfterMs: ro.staleAfterMs ?? D.DEFAULT_ROLLOUT_STALE_AFTER_MS,
    holdbackMs: ro.holdbackMs ?? D.DEFAULT_HOLDBACK_MS,
    maxInProgress: ro.maxInProgress ?? null,
    templates: ro.templates ?? [],
    policies: ro.policies ?? [],
    drills: { everyMs: ro.drills?.everyMs ?? null, models: ro.drills?.models ?? null, boundMs: ro.drills?.boundMs ?? D.DEFAULT_DRILL_BOUND_MS, weight: ro.drills?.weight ?? D.DEFAULT_DRILL_WEIGHT },
    webhooks: (ro.webhooks ?? []).map(w => ({ url: w.url, secret: w.secret, events: w.events ?? ['rollout', 'drill', 'staleness'] })),
    plans
  }
}

export function segmentsOf (name: string, m: ModelConfig, file: string): ResolvedSegments | null {
  const s = m.segments
  if (s === undefined) return null
  const given = [s.header === undefined ? null : { kind: 'header' as const, name: s.header.toLowerCase() }, s.cookie === undefined ? null : { kind: 'cookie' as const, name: s.cookie }, s.field === undefined ? null : { kind: 'field' as const, name: s.field.slice('parameters.'.length) }].filter(x => x !== null)
  if (given.length !== 1) throw new ConfigError(file, `models.${name}.segments`, 'name exactly one of header, cookie or field')
  if (new Set(s.values).size !== s.values.length) throw new ConfigError(file, `models.${name}.segments.values`, 'names a value twice')
  if (s.values.includes(OTHER_SEGMENT)) throw new ConfigError(file, `models.${name}.segments.values`, `"${OTHER_SEGMENT}" is the segment of every other value; do not list it`)
  return { from: given[0]!, values: [...s.values] }
}

export function suitesOf (name: string, m: ModelConfig, file: string): Record<string, SuiteConfig> {
  const suites = m.verification?.suites ?? {}
  for (const [s, suite] of Object.entries(suites)) {
    if (suite.files === undefined && suite.replay === undefined) throw new ConfigError(file, `models.${name}.verification.suites.${s}`, 'needs files (golden sets) or replay (recorded traffic), or both')
  }
  return suites
}
