// Every gateway instance sharing this state, with the revision it applied.
import { api, errorText } from './api'
import { usePoll } from './poll'
import { clock } from './format'
import type { InstanceView } from './types'

export function FleetPage () {
  const p = usePoll(() => api<{ revision: number, instances: InstanceView[] }>('GET', '/admin/instances'), 2000)
  if (p.data === null) return p.error === null ? <p>Loading…</p> : <p class='error' role='alert'>{errorText(p.error)}</p>
  return (
    <>
      <h1>Fleet <small>latest revision {p.data.revision}</small></h1>
      <section class='card'>
        <table data-testid='fleet'>
          <thead><tr><th>instance</th><th>applied revision</th><th>current</th><th>admin address</th><th>started</th><th>last seen</th></tr></thead>
          <tbody>
            {p.data.instances.map(i => (
              <tr key={i.instanceId} data-instance={i.instanceId}>
                <td>{i.instanceId}{i.self ? ' (this one)' : ''}</td>
                <td>{i.revision}</td>
                <td><span class={`badge ${i.current ? 'pass' : 'fail'}`}>{i.current ? 'current' : 'behind'}</span></td>
                <td>{i.address ?? '–'}</td>
                <td>{new Date(i.startedAt).toLocaleString()}</td>
                <td>{clock(i.lastSeen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  )
}
