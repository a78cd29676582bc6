/**
 * `rollout explain --svg`: a standalone SVG timeline of one rollout — the
 * canary weight over time (a step line) and, below it, one row per check with
 * a mark per analysis (pass, fail, inconclusive), and the decisions that
 * changed the rollout. No dependency; the same look as bench/lib/svg-chart.ts.
 */
import { escapeXml, svgOpen } from '../svg.js'
import type { JournalEntry } from './coordination.js'

const WIDTH = 860
const LEFT = 110
const RIGHT = 24
const TOP = 60
const WEIGHT_H = 150
const ROW_H = 26
const COLORS = { pass: '#2e9e5b', fail: '#d64545', inconclusive: '#a0a7b4' } as const

export function timelineSvg (title: string, entries: readonly JournalEntry[]): string {
  const checks = [...new Set(entries.flatMap(e => e.checks.map(c => c.check)))]
  const height = TOP + WEIGHT_H + 30 + checks.length * ROW_H + 70
  const t0 = entries[0]?.at ?? 0
  const t1 = Math.max(t0 + 1000, entries[entries.length - 1]?.at ?? 0)
  const plotW = WIDTH - LEFT - RIGHT
  const x = (t: number): number => LEFT + (t - t0) / (t1 - t0) * plotW
  const maxW = Math.max(100, ...entries.map(e => e.weight))
  const y = (w: number): number => TOP + WEIGHT_H - w / maxW * WEIGHT_H
  const parts: string[] = []
  // Weight as a step line: each entry's weight holds until the next one.
  let d = ''
  entries.forEach((e, i) => {
    d += i === 0 ? `M${x(e.at).toFixed(1)},${y(e.weight).toFixed(1)}` : ` H${x(e.at).toFixed(1)} V${y(e.weight).toFixed(1)}`
  })
  if (entries.length > 0) d += ` H${x(t1).toFixed(1)}`
  parts.push(`<path d="${d}" fill="none" stroke="#2f6fde" stroke-width="2.5"/>`)
  for (const frac of [0, 0.5, 1]) {
    const w = maxW * frac
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(w)}" y2="${y(w)}" stroke="#e3e6eb"/>`)
    parts.push(`<text x="${LEFT - 8}" y="${y(w) + 4}" text-anchor="end" class="axis">${(w / 100).toFixed(w % 100 === 0 ? 0 : 2)}%</text>`)
  }
  parts.push(`<text x="12" y="${TOP + WEIGHT_H / 2}" class="label">canary weight</text>`)
  const rowsTop = TOP + WEIGHT_H + 30
  checks.forEach((c, i) => {
    const cy = rowsTop + i * ROW_H + ROW_H / 2
    parts.push(`<text x="12" y="${cy + 4}" class="label">${escapeXml(c)}</text>`)
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${cy}" y2="${cy}" stroke="#eef0f3"/>`)
    for (const e of entries) {
      const r = e.checks.find(k => k.check === c)
      if (r === undefined) continue
      parts.push(`<circle cx="${x(e.at).toFixed(1)}" cy="${cy}" r="4.5" fill="${COLORS[r.verdict as keyof typeof COLORS] ?? '#a0a7b4'}"><title>${escapeXml(`${new Date(e.at).toISOString()} ${r.verdict}: ${r.summary}`)}</title></circle>`)
    }
  })
  const marks = entries.filter(e => !['wait', 'extend', 'no-data'].includes(e.action))
  for (const e of marks) {
    const color = e.action === 'rollback' || e.action === 'abort' ? COLORS.fail : e.action === 'promote' ? COLORS.pass : '#5b6372'
    parts.push(`<line x1="${x(e.at).toFixed(1)}" x2="${x(e.at).toFixed(1)}" y1="${TOP - 6}" y2="${rowsTop + checks.length * ROW_H}" stroke="${color}" stroke-dasharray="3,3"/>`)
    // Labels near the right edge end at their line instead of running off the picture.
    const right = x(e.at) > WIDTH - RIGHT - 80
    parts.push(`<text x="${(x(e.at) + (right ? -3 : 3)).toFixed(1)}" y="${TOP - 9}"${right ? ' text-anchor="end"' : ''} class="mark" fill="${color}">${escapeXml(e.action)}</text>`)
  }
  const noData = entries.filter(e => e.action === 'no-data')
  for (const e of noData) parts.push(`<rect x="${(x(e.at) - 2).toFixed(1)}" y="${TOP}" width="4" height="${WEIGHT_H}" fill="#f2b84b" opacity="0.5"><title>${escapeXml(e.reason)}</title></rect>`)
  const axisY = rowsTop + checks.length * ROW_H + 18
  const secs = (t1 - t0) / 1000
  for (const frac of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<text x="${(LEFT + frac * plotW).toFixed(1)}" y="${axisY}" text-anchor="middle" class="axis">${(secs * frac).toFixed(secs < 60 ? 1 : 0)}s</text>`)
  }
  const last = entries[entries.length - 1]
  const subtitle = last === undefined ? 'no decisions yet' : `${entries.length} analyses · last: ${last.action} — ${last.reason}`
  return `${svgOpen(WIDTH, height, title, ['.mark { font-size: 11px; font-weight: 600; }'])}
  <rect width="100%" height="100%" fill="#ffffff"/>
  <text x="12" y="24" class="title">${escapeXml(title)}</text>
  <text x="12" y="42" class="sub">${escapeXml(subtitle.length > 140 ? `${subtitle.slice(0, 140)}…` : subtitle)}</text>
  ${parts.join('\n  ')}
  <text x="12" y="${height - 12}" class="sub">time since the first analysis; dots: check verdicts per analysis (green pass, grey inconclusive, red fail); dashed lines: decisions that changed the rollout</text>
</svg>
`
}
