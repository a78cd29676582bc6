// The live split as one bar: a segment per version with weight, its share as a label.
import type { ModelView, VersionView } from './types'
import { pct } from './format'

const COLORS = ['#2563eb', '#f59e0b', '#10b981', '#a855f7', '#ef4444', '#0ea5e9', '#84cc16', '#ec4899']

export function versionColor (versions: readonly { name: string }[], name: string): string {
  const i = versions.findIndex(v => v.name === name)
  return COLORS[(i < 0 ? 0 : i) % COLORS.length]!
}

export function SplitBar ({ model }: { model: ModelView }) {
  const parts = model.split.filter(e => e.weight > 0)
  return (
    <div class='split' data-testid='split' aria-label='traffic split'>
      {parts.map(e => (
        <div key={e.version} class='seg' ref={el => { if (el !== null) { el.style.flexGrow = String(e.weight); el.style.background = versionColor(model.versions, e.version) } }} data-version={e.version} data-weight={e.weight}>
          <span>{e.version} {pct(e.weight)}</span>
        </div>
      ))}
    </div>
  )
}

export function ReplicaDots ({ v }: { v: VersionView }) {
  return (
    <span class='dots' title={v.replicas.map(r => `${r.url}: ${replicaState(r)}`).join('\n')}>
      {v.replicas.map(r => <span key={r.url} class={`dot ${replicaState(r)}`} />)}
      <span class='count'>{v.healthyReplicas}/{v.totalReplicas} healthy</span>
    </span>
  )
}

function replicaState (r: VersionView['replicas'][number]): string {
  if (r.ejected === true) return 'ejected'
  if (r.healthy === true) return 'healthy'
  if (r.healthy === false) return 'unhealthy'
  return 'unknown'
}

export function verification (v: VersionView, required: boolean): string {
  if (v.verified === true) return 'verified'
  if (v.verified === false) return 'failed verification'
  return required ? 'not verified (required)' : 'not verified'
}
