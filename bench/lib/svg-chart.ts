/**
 * A horizontal bar chart as a standalone SVG string (no dependency): one bar
 * per contender, its median req/s, labelled with p99 latency.
 */
import { escapeXml as esc, svgOpen } from '../../gateway/svg.js'

export interface Bar {
  label: string
  value: number
  /** Text shown after the value, e.g. "p99 3.1 ms". */
  note: string
  highlight?: boolean
}

const WIDTH = 760
const LABEL_W = 150
const VALUE_W = 230
const BAR_H = 30
const GAP = 14
const TOP = 56
const BOTTOM = 34

export { esc }

export function barChartSvg (title: string, subtitle: string, bars: readonly Bar[]): string {
  const height = TOP + bars.length * (BAR_H + GAP) - GAP + BOTTOM
  const plotW = WIDTH - LABEL_W - VALUE_W
  const max = Math.max(1, ...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)))
  const rows = bars.map((b, i) => {
    const y = TOP + i * (BAR_H + GAP)
    const w = Number.isFinite(b.value) ? Math.max(1, Math.round((b.value / max) * plotW)) : 0
    const fill = b.highlight === true ? '#2f6fde' : '#8a94a6'
    const value = Number.isFinite(b.value) ? `${Math.round(b.value).toLocaleString('en-US')} req/s` : 'n/a'
    return [
      `<text x="${LABEL_W - 10}" y="${y + BAR_H / 2 + 5}" text-anchor="end" class="label">${esc(b.label)}</text>`,
      `<rect x="${LABEL_W}" y="${y}" width="${w}" height="${BAR_H}" rx="3" fill="${fill}"/>`,
      `<text x="${LABEL_W + w + 8}" y="${y + BAR_H / 2 + 5}" class="value">${esc(value)} <tspan class="note">· ${esc(b.note)}</tspan></text>`
    ].join('\n  ')
  })
  return `${svgOpen(WIDTH, height, title, ['.value { font-size: 12px; font-weight: 600; }', '.note { font-weight: 400; fill: #5b6372; }'])}
  <rect width="100%" height="100%" fill="#ffffff"/>
  <text x="12" y="24" class="title">${esc(title)}</text>
  <text x="12" y="42" class="sub">${esc(subtitle)}</text>
  ${rows.join('\n  ')}
  <text x="12" y="${height - 10}" class="sub">median req/s over runs (higher is better); p99 latency is the median of per-run p99s</text>
</svg>
`
}
