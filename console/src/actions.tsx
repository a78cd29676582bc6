// What an operator can do to a model, each through the public admin API and
// each behind a confirmation that says what will change. Read tokens never see
// these (the page hides them; the gateway refuses the calls with 403 anyway).
import { useState } from 'preact/hooks'
import { api, enc, errorText } from './api'
import { pct } from './format'
import type { ModelView, RolloutAnswer } from './types'

export interface Action {
  id: string
  label: string
  /** What will change, in one or two sentences, for the confirmation. */
  change: string
  method: 'POST'
  path: string
  body?: unknown
  danger?: boolean
}

const ACTIVE = new Set(['running', 'paused', 'held'])

function weightOf (m: ModelView, version: string): number {
  return m.split.find(e => e.version === version)?.weight ?? 0
}

/** The actions the model's state allows now. */
export function modelActions (m: ModelView, r: RolloutAnswer | null): Action[] {
  const base = `/admin/models/${enc(m.name)}`
  const out: Action[] = []
  const active = r !== null && ACTIVE.has(r.view.status) ? r.view : null
  if (active !== null) {
    const where = `step ${active.step}/${active.steps}, ${active.version} at ${pct(active.weight)}`
    if (active.status === 'running') out.push({ id: 'pause', label: 'Pause', method: 'POST', path: `${base}/rollout/pause`, change: `Pause the rollout of ${active.version} at ${where}: the weight stays as it is and the controller stops analysing and stepping until resumed.` })
    if (active.status !== 'running') {
      const gate = active.stepKind === 'gate'
      out.push({ id: 'resume', label: gate ? 'Approve gate' : 'Resume', method: 'POST', path: `${base}/rollout/resume`, change: gate ? `Pass the manual gate at ${where}: the rollout goes on to its next step.` : `Resume the rollout of ${active.version} at ${where}: analysis and stepping start again.` })
    }
    out.push({ id: 'abort', label: 'Abort', danger: true, method: 'POST', path: `${base}/rollout/abort`, change: `Abort the rollout of ${active.version}: ${active.version} goes from ${pct(weightOf(m, active.version))} to 0% and ${active.stable} back to 100%.` })
    return out
  }
  if (m.candidate !== null && m.strategy !== 'split') {
    const cw = weightOf(m, m.candidate)
    out.push({ id: 'promote', label: `Promote ${m.candidate}`, method: 'POST', path: `${base}/promote`, change: `Promote ${m.candidate} to stable: ${m.candidate} goes from ${pct(cw)} to 100% and ${m.stable} from ${pct(weightOf(m, m.stable))} to 0%. A new release starts (new sticky seed).` })
    out.push({ id: 'rollback', label: 'Roll back', danger: true, method: 'POST', path: `${base}/rollback`, change: m.strategy === 'blue-green' ? `Switch back from ${m.stable} to the version active before the last switch.` : `Roll back ${m.name}: ${m.candidate} goes from ${pct(cw)} to 0% and ${m.stable} back to 100%; the canary is cleared.` })
  }
  return out
}

export function ActionBar ({ actions, onDone }: { actions: Action[], onDone: () => void }) {
  const [pending, setPending] = useState<Action | null>(null)
  return (
    <div class='actions' data-testid='actions'>
      {actions.map(a => <button type='button' key={a.id} class={a.danger === true ? 'danger' : ''} data-action={a.id} onClick={() => { setPending(a) }}>{a.label}</button>)}
      {pending !== null && <Confirm action={pending} onClose={(done) => { setPending(null); if (done) onDone() }} />}
    </div>
  )
}

export function Confirm ({ action, onClose }: { action: Action, onClose: (done: boolean) => void }) {
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const go = async (): Promise<void> => {
    setBusy(true)
    try {
      await api('POST', action.path, action.body ?? {})
      onClose(true)
    } catch (err) {
      setError(errorText(err))
      setBusy(false)
    }
  }
  return (
    <div class='modal' role='dialog' aria-modal='true' aria-labelledby='confirm-title' data-testid='confirm'>
      <div class='modal-box'>
        <h3 id='confirm-title'>{action.label}?</h3>
        <p data-testid='confirm-change'>{action.change}</p>
        {error !== null && <p class='error' role='alert' data-testid='action-error'>{error}</p>}
        <div class='buttons'>
          <button type='button' onClick={() => { onClose(false) }}>Cancel</button>
          <button type='button' class={action.danger === true ? 'danger' : 'primary'} disabled={busy} data-testid='confirm-go' onClick={() => { void go() }}>{action.label}</button>
        </div>
      </div>
    </div>
  )
}
