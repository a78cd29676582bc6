// One model, live: the split, versions, the rollout with its checks, the
// timeline, per-version traffic over time, shadow agreement and the audit trail.
// The split, the rollout and the series are read every 0.8 s; the journal,
// the shadow summary and the audit every 5 s.
import { useRef } from 'preact/hooks'
import { api, ApiError, enc, errorText } from './api'
import { usePoll } from './poll'
import { pct } from './format'
import { ReplicaDots, SplitBar, verification } from './split'
import { RolloutPanel } from './rollout-panel'
import { Timeline } from './timeline'
import { TrafficCharts } from './traffic-charts'
import { ActionBar, modelActions } from './actions'
import { StartRollout } from './start-rollout'
import { AuditTrail, ShadowPanel } from './history'
import type { AuditEntry, JournalEntry, ModelView, RolloutAnswer, SeriesAnswer, ShadowAnswer } from './types'

interface Live { model: ModelView, rollout: RolloutAnswer | null, series: SeriesAnswer | null, at: number }
interface Slow { journal: JournalEntry[], shadow: ShadowAnswer | null, audit: AuditEntry[] }

const orNull = <T,>(p: Promise<T>, status = 404): Promise<T | null> => p.catch((err: unknown) => {
  if (err instanceof ApiError && err.status === status) return null
  throw err
})

/** Under a second, so the page shows something new at least once a second even with a call's own time and timer jitter. */
const LIVE_EVERY_MS = 800
/**
 * The journal, shadow summary and audit change rarely and weigh the most (the
 * audit carries whole model states): read less often and less of them.
 */
const SLOW_EVERY_MS = 5000
const JOURNAL_LIMIT = 200
const AUDIT_LIMIT = 50
/** This instance's series: 5 minutes in 5 s steps; the fleet's from ClickHouse: per-minute rollups over an hour. */
const SERIES_QUERY = { local: 'seconds=300&step=5', clickhouse: 'seconds=3600&step=60' }

export function ModelPage ({ model, canAct }: { model: string, canAct: boolean }) {
  const base = `/admin/models/${enc(model)}`
  const source = useRef<SeriesAnswer['source']>('local')
  const live = usePoll<Live>(async () => {
    const [m, rollout, series] = await Promise.all([
      api<{ model: ModelView }>('GET', base),
      orNull(api<RolloutAnswer>('GET', `${base}/rollout`)),
      orNull(api<SeriesAnswer>('GET', `${base}/series?${SERIES_QUERY[source.current]}`))
    ])
    if (series !== null) source.current = series.source
    return { model: m.model, rollout, series, at: Date.now() }
  }, LIVE_EVERY_MS, [model])
  const slow = usePoll<Slow>(async () => {
    const [explain, shadow, audit] = await Promise.all([
      orNull(api<{ entries: JournalEntry[] }>('GET', `${base}/rollout/explain?limit=${JOURNAL_LIMIT}`)),
      orNull(api<ShadowAnswer>('GET', `${base}/shadow`)),
      api<{ entries: AuditEntry[] }>('GET', `/admin/audit?limit=${AUDIT_LIMIT}`)
    ])
    return { journal: explain?.entries ?? [], shadow, audit: audit.entries.filter(e => e.model === model).slice(0, 25) }
  }, SLOW_EVERY_MS, [model])

  if (live.data === null) return live.error === null ? <p>Loading…</p> : <p class='error' role='alert'>{errorText(live.error)}</p>
  const { model: m, rollout, series } = live.data
  const refresh = (): void => { live.reload(); slow.reload() }
  return (
    <div data-testid='model-page' data-updates={live.updates}>
      <h1>{m.name} <small>{m.strategy} · release {m.releaseName} · updated {new Date(live.data.at).toLocaleTimeString([], { hour12: false })}</small></h1>
      {live.error !== null && <p class='error' role='alert'>{errorText(live.error)}</p>}
      <section class='card'>
        <SplitBar model={m} />
        <table data-testid='versions'>
          <thead><tr><th>version</th><th>role</th><th>weight</th><th>replicas</th><th>verification</th><th>sampling</th></tr></thead>
          <tbody>
            {m.versions.map(v => (
              <tr key={v.name} data-version={v.name}><td>{v.name}</td><td>{v.role}</td><td>{pct(v.weight)}</td><td><ReplicaDots v={v} /></td><td>{verification(v, m.requireVerification)}</td><td>{v.sampleRate === null ? 'config' : v.sampleRate}</td></tr>
            ))}
          </tbody>
        </table>
        {canAct && <ActionBar actions={modelActions(m, rollout)} onDone={refresh} />}
      </section>
      {rollout !== null && <RolloutPanel r={rollout} fetchedAt={live.data.at} />}
      {canAct && (rollout === null || !['running', 'paused', 'held'].includes(rollout.view.status)) && <StartRollout model={m} onDone={refresh} />}
      {slow.data !== null && <Timeline entries={slow.data.journal} />}
      {series !== null && <TrafficCharts model={m} series={series} />}
      {slow.data?.shadow?.summary != null && <ShadowPanel shadow={slow.data.shadow} />}
      {slow.data !== null && <AuditTrail entries={slow.data.audit} />}
    </div>
  )
}
