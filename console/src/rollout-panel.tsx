// The rollout in progress (or the last one): step, weight, time left in the
// step, and each check of the newest analysis with its figures and verdict.
import { useEffect, useState } from 'preact/hooks'
import { duration, num, pct } from './format'
import type { JournalEntry, RolloutAnswer } from './types'

export function RolloutPanel ({ r, fetchedAt }: { r: RolloutAnswer, fetchedAt: number }) {
  // The clock lives here, not in the page: a tick redraws this panel only, not the page's charts.
  const now = useNow(250)
  const v = r.view
  const live = v.status === 'running'
  // Time left counts down between polls from what the gateway said when asked.
  const left = v.remainingMs === null ? null : live ? Math.max(0, v.remainingMs - (now - fetchedAt)) : v.remainingMs
  const checks: JournalEntry['checks'] = v.last !== null && v.last.rolloutId === r.rollout.id && v.last.checks.length > 0 ? v.last.checks : r.rollout.checks
  return (
    <section class={`card rollout ${v.status}`} data-testid='rollout' data-status={v.status}>
      <h2>Rollout of {v.version} <small>against {v.stable} · started {new Date(v.startedAt).toLocaleString()} by {v.startedBy}</small></h2>
      <p class='status-line'>
        <span class={`badge ${v.status}`} data-testid='rollout-status'>{v.status}</span>
        <span>step <b data-testid='rollout-step'>{v.step}/{v.steps}</b>{v.stepKind === 'gate' ? ' (manual gate)' : ''}</span>
        <span>canary weight <b data-testid='rollout-weight'>{pct(v.weight)}</b></span>
        {v.bakeMs !== null && v.endedAt === null && <span>bake {duration(v.bakeMs)}, <b data-testid='rollout-left'>{duration(left)}</b> left</span>}
        {v.endedAt !== null && <span>ended {new Date(v.endedAt).toLocaleTimeString([], { hour12: false })}</span>}
      </p>
      <progress max={1} value={v.progress} aria-label='plan progress' />
      {v.reason !== null && <p class='reason' data-testid='rollout-reason'>{v.reason}</p>}
      {checks.length > 0 && (
        <table class='checks' data-testid='checks'>
          <thead><tr><th>check</th><th>verdict</th><th>figures</th></tr></thead>
          <tbody>
            {checks.map(c => (
              <tr key={c.check} data-check={c.check} data-verdict={c.verdict}>
                <td>{c.check}</td>
                <td><span class={`badge ${c.verdict}`}>{c.verdict}</span></td>
                <td>
                  <p class='summary'>{c.summary}</p>
                  <dl class='figures'>
                    {Object.entries(c.figures).map(([k, x]) => <><dt key={`${k}-t`}>{k}</dt><dd key={`${k}-d`} data-figure={k}>{num(x)}</dd></>)}
                  </dl>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

function useNow (everyMs: number): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const t = setInterval(() => { setNow(Date.now()) }, everyMs)
    return () => { clearInterval(t) }
  }, [everyMs])
  return now
}
