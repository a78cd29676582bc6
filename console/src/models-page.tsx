// Every model: versions with weight, role, replica health and verification, and any rollout in progress.
import { api, ApiError, enc, errorText } from './api'
import { usePoll } from './poll'
import { pct } from './format'
import { ReplicaDots, SplitBar, verification } from './split'
import type { ModelView, RolloutAnswer } from './types'

interface Overview { revision: number, instanceId: string, models: Array<{ model: ModelView, rollout: RolloutAnswer | null }> }

async function loadOverview (): Promise<Overview> {
  const all = await api<{ revision: number, instanceId: string, models: ModelView[] }>('GET', '/admin/models')
  const rollouts = await Promise.all(all.models.map(m => api<RolloutAnswer>('GET', `/admin/models/${enc(m.name)}/rollout`).catch((err: unknown) => {
    if (err instanceof ApiError && err.status === 404) return null
    throw err
  })))
  return { revision: all.revision, instanceId: all.instanceId, models: all.models.map((model, i) => ({ model, rollout: rollouts[i]! })) }
}

export function ModelsPage () {
  const p = usePoll(loadOverview, 2000)
  if (p.data === null) return p.error === null ? <p>Loading…</p> : <p class='error' role='alert'>{errorText(p.error)}</p>
  return (
    <>
      <h1>Models <small>revision {p.data.revision} on {p.data.instanceId}</small></h1>
      {p.error !== null && <p class='error' role='alert'>{errorText(p.error)}</p>}
      {p.data.models.map(({ model, rollout }) => (
        <section class='card' key={model.name} data-testid={`model-${model.name}`}>
          <h2><a href={`#/models/${enc(model.name)}`}>{model.name}</a> <small>{model.strategy} · release {model.releaseName}{model.served ? '' : ' · not served by this instance'}</small></h2>
          <SplitBar model={model} />
          <table>
            <thead><tr><th>version</th><th>role</th><th>weight</th><th>replicas</th><th>verification</th></tr></thead>
            <tbody>
              {model.versions.map(v => (
                <tr key={v.name}><td>{v.name}</td><td>{v.role}</td><td>{pct(v.weight)}</td><td><ReplicaDots v={v} /></td><td>{verification(v, model.requireVerification)}</td></tr>
              ))}
            </tbody>
          </table>
          {rollout !== null && (
            <p class={`rollout-line ${rollout.view.status}`} data-testid='rollout-line'>
              rollout of {rollout.view.version}: <b>{rollout.view.status}</b> · step {rollout.view.step}/{rollout.view.steps} · {pct(rollout.view.weight)}
              {rollout.view.reason !== null && <> · {rollout.view.reason}</>}
            </p>
          )}
        </section>
      ))}
    </>
  )
}
