// Shadow agreement and the model's audit trail.
import { clock, num, ratio } from './format'
import type { AuditEntry, ShadowAnswer } from './types'

export function ShadowPanel ({ shadow }: { shadow: ShadowAnswer }) {
  const s = shadow.summary!
  return (
    <section class='card' data-testid='shadow'>
      <h2>Shadow <small>{s.shadowVersion}{shadow.shadow === null ? ' (stopped)' : ` mirrored at ${shadow.shadow.weight / 100}%`}</small></h2>
      <dl class='figures'>
        <dt>pairs</dt><dd>{num(s.pairs)}</dd>
        <dt>both answered</dt><dd>{num(s.bothAnswered)}</dd>
        <dt>exact agreement</dt><dd>{ratio(s.exactAgreement)}</dd>
        <dt>within ±{s.tolerance}</dt><dd>{ratio(s.toleranceAgreement)}</dd>
        <dt>diff p50 / p99</dt><dd>{num(s.diffP50)} / {num(s.diffP99)}</dd>
        <dt>latency p50 primary / shadow</dt><dd>{num(s.primaryP50Ms)} / {num(s.shadowP50Ms)} ms</dd>
        <dt>shadow errors</dt><dd>{num(s.shadowErrors)}</dd>
      </dl>
    </section>
  )
}

export function AuditTrail ({ entries }: { entries: AuditEntry[] }) {
  return (
    <section class='card' data-testid='audit'>
      <h2>Audit trail</h2>
      {entries.length === 0
        ? <p>No changes recorded yet.</p>
        : (
          <table>
            <thead><tr><th>time</th><th>revision</th><th>who</th><th>what</th><th>detail</th></tr></thead>
            <tbody>
              {entries.map(e => (
                <tr key={e.revisionAfter}><td>{clock(e.at)}</td><td>{e.revisionAfter}</td><td>{e.actor}</td><td>{e.action}</td><td class='detail' title={JSON.stringify(e.detail)}>{brief(e.detail)}</td></tr>
              ))}
            </tbody>
          </table>
          )}
    </section>
  )
}

/** The detail's fields, each cut short: the full JSON is in the cell's title. */
function brief (detail: Record<string, unknown>): string {
  return Object.entries(detail).filter(([k]) => k !== 'checks' && k !== 'plan').map(([k, v]) => {
    const text = typeof v === 'string' ? v : JSON.stringify(v)
    return `${k}: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`
  }).join(' · ')
}
