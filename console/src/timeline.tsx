// The rollout's timeline: canary weight over time as a step line, and every
// decision the controller journaled with its verdicts.
import { Chart } from './chart'
import { clock, pct } from './format'
import type { JournalEntry } from './types'

export function Timeline ({ entries }: { entries: JournalEntry[] }) {
  if (entries.length === 0) return null
  const times = entries.map(e => e.at / 1000)
  const weights = entries.map(e => e.weight / 100)
  const decisions = entries.filter(e => e.action !== 'wait').slice(-30).reverse()
  return (
    <section class='card' data-testid='timeline'>
      <h2>Timeline</h2>
      <Chart title='canary weight (%)' times={times} lines={[{ label: 'weight', color: '#f59e0b', values: weights }]} unit='%' height={120} stepped />
      <table class='journal'>
        <thead><tr><th>time</th><th>decision</th><th>step</th><th>weight</th><th>verdicts</th><th>reason</th></tr></thead>
        <tbody>
          {decisions.map(e => (
            <tr key={`${e.at}-${e.action}`}>
              <td>{clock(e.at)}</td>
              <td>{e.action}</td>
              <td>{e.step + 1}</td>
              <td>{pct(e.weight)}</td>
              <td>{e.checks.map(c => <span key={c.check} class={`badge ${c.verdict}`}>{c.check} {c.verdict}</span>)}</td>
              <td>{e.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
