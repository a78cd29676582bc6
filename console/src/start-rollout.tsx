// Start a rollout: which version, and which plan — the model's configured plan
// or one pasted as JSON (the same shape as release.rollout in the config).
import { useState } from 'preact/hooks'
import { enc } from './api'
import { Confirm, type Action } from './actions'
import type { ModelView } from './types'

type PlanSource = { kind: 'config' } | { kind: 'json', text: string }

export function StartRollout ({ model, onDone }: { model: ModelView, onDone: () => void }) {
  const candidates = model.versions.filter(v => v.name !== model.stable).map(v => v.name)
  const [version, setVersion] = useState(model.candidate ?? candidates[0] ?? '')
  const [source, setSource] = useState<PlanSource>({ kind: 'config' })
  const [problem, setProblem] = useState<string | null>(null)
  const [pending, setPending] = useState<Action | null>(null)
  if (candidates.length === 0) return null

  const prepare = (e: Event): void => {
    e.preventDefault()
    setProblem(null)
    let plan: unknown
    if (source.kind === 'json') {
      try { plan = JSON.parse(source.text) } catch (err) { setProblem(`The plan is not JSON: ${(err as Error).message}`); return }
    }
    const v = model.versions.find(x => x.name === version)
    setPending({
      id: 'start',
      label: 'Start rollout',
      method: 'POST',
      path: `/admin/models/${enc(model.name)}/rollout`,
      body: plan === undefined ? { version } : { version, plan },
      change: `Start a rollout of ${version} on ${model.name} against stable ${model.stable}, ${plan === undefined ? 'with the plan in the gateway\'s config' : `with this plan: ${describePlan(plan)}`}. ` +
        `${version} gets the first step's weight now (it has ${v?.weight === undefined ? 0 : v.weight / 100}%); the controller steps it up or rolls it back on the checks.`
    })
  }

  return (
    <form class='card start' onSubmit={prepare} data-testid='start-rollout'>
      <h2>Start a rollout</h2>
      <label>Version <select name='version' value={version} onChange={(e) => { setVersion((e.target as HTMLSelectElement).value) }}>
        {candidates.map(c => <option key={c} value={c}>{c}</option>)}
      </select></label>
      <fieldset>
        <legend>Plan</legend>
        <label><input type='radio' name='plan' checked={source.kind === 'config'} onChange={() => { setSource({ kind: 'config' }) }} /> the model's plan from the config</label>
        <label><input type='radio' name='plan' value='json' checked={source.kind === 'json'} onChange={() => { setSource({ kind: 'json', text: source.kind === 'json' ? source.text : '' }) }} /> a plan (JSON)</label>
        {source.kind === 'json' && <textarea name='plan-json' rows={8} value={source.text} onInput={(e) => { setSource({ kind: 'json', text: (e.target as HTMLTextAreaElement).value }) }} placeholder='{"steps":[{"weight":"5%","bake":"5m"},{"weight":"25%","bake":"10m"}],"checks":{"errors":{}}}' />}
      </fieldset>
      <button type='submit' class='primary' data-action='start'>Start rollout…</button>
      {problem !== null && <p class='error' role='alert'>{problem}</p>}
      {pending !== null && <Confirm action={pending} onClose={(done) => { setPending(null); if (done) onDone() }} />}
    </form>
  )
}

/** "20% for 6s, then 50% for 4s; checks: errors, latency" from a plan as written. */
export function describePlan (plan: unknown): string {
  const p = plan as { steps?: Array<Record<string, unknown>>, checks?: Record<string, unknown> } | null
  const steps = Array.isArray(p?.steps) ? p.steps.map(s => 'gate' in s ? 'a manual gate' : `${String(s.weight)} for ${String(s.bake ?? s.bakeMs)}`) : []
  const checks = p?.checks !== undefined && p.checks !== null ? Object.keys(p.checks) : []
  return `${steps.length} step${steps.length === 1 ? '' : 's'} (${steps.join(', then ')}); checks: ${checks.length === 0 ? 'none' : checks.join(', ')}`
}
