/**
 * A metric over time, one line per version, as a standalone SVG (no
 * dependency; the look of release/timeline-svg.ts). Used by `report outcomes
 * --svg` and `monitor --svg`.
 */
import { escapeXml, svgOpen } from '../svg.js'

export interface Line {
  label: string
  points: ReadonlyArray<{ at: number, value: number }>
}

const WIDTH = 860
const HEIGHT = 360
const LEFT = 70
const RIGHT = 130
const TOP = 60
const BOTTOM = 60
const COLORS = ['#2f6fde', '#d64545', '#2e9e5b', '#e08a1e', '#8a4fd6', '#5b6372']

function label (t: number, spanMs: number): string {
  const iso = new Date(t).toISOString()
  return spanMs >= 2 * 86_400_000 ? iso.slice(5, 10) : spanMs >= 2 * 3_600_000 ? iso.slice(5, 16).replace('T', ' ') : iso.slice(11, 19)
}

export function seriesSvg (title: string, subtitle: string, metric: string, lines: readonly Line[], span?: { from: number, to: number }): string {
  const all = lines.flatMap(l => l.points)
  const t0 = span?.from ?? Math.min(...all.map(p => p.at))
  const t1 = Math.max(t0 + 1000, span?.to ?? Math.max(...all.map(p => p.at)))
  let lo = Math.min(...all.map(p => p.value))
  let hi = Math.max(...all.map(p => p.value))
  if (!Number.isFinite(lo)) { lo = 0; hi = 1 }
  if (hi - lo < 1e-9) { lo -= 0.05; hi += 0.05 }
  const pad = (hi - lo) * 0.08
  lo -= pad
  hi += pad
  const plotW = WIDTH - LEFT - RIGHT
  const plotH = HEIGHT - TOP - BOTTOM
  const x = (t: number): number => LEFT + (t - t0) / (t1 - t0) * plotW
  const y = (v: number): number => TOP + (hi - v) / (hi - lo) * plotH
  const parts: string[] = []
  for (let k = 0; k <= 4; k++) {
    const v = lo + (hi - lo) * k / 4
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e3e6eb"/>`)
    parts.push(`<text x="${LEFT - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="axis">${v.toFixed(Math.abs(hi - lo) < 0.1 ? 3 : 2)}</text>`)
  }
  for (let k = 0; k <= 4; k++) {
    const t = t0 + (t1 - t0) * k / 4
    parts.push(`<text x="${x(t).toFixed(1)}" y="${HEIGHT - BOTTOM + 18}" text-anchor="middle" class="axis">${escapeXml(label(t, t1 - t0))}</text>`)
  }
  lines.forEach((l, i) => {
    const color = COLORS[i % COLORS.length]!
    const pts = [...l.points].sort((a, b) => a.at - b.at)
    if (pts.length > 1) parts.push(`<path d="${pts.map((p, k) => `${k === 0 ? 'M' : 'L'}${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2.5"/>`)
    for (const p of pts) parts.push(`<circle cx="${x(p.at).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3.5" fill="${color}"><title>${escapeXml(`${l.label} ${new Date(p.at).toISOString()}: ${metric} ${p.value.toFixed(4)}`)}</title></circle>`)
    parts.push(`<rect x="${WIDTH - RIGHT + 16}" y="${TOP + i * 22 - 9}" width="12" height="12" fill="${color}"/>`)
    parts.push(`<text x="${WIDTH - RIGHT + 34}" y="${TOP + i * 22 + 2}" class="label">${escapeXml(l.label)}</text>`)
  })
  return `${svgOpen(WIDTH, HEIGHT, title)}
  <rect width="100%" height="100%" fill="#ffffff"/>
  <text x="12" y="24" class="title">${escapeXml(title)}</text>
  <text x="12" y="42" class="sub">${escapeXml(subtitle.length > 150 ? `${subtitle.slice(0, 150)}…` : subtitle)}</text>
  <text x="16" y="${TOP + plotH / 2}" class="label" transform="rotate(-90 16 ${TOP + plotH / 2})" text-anchor="middle">${escapeXml(metric)}</text>
  ${parts.join('\n  ')}
</svg>
`
}
