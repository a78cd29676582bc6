/**
 * A line chart as a standalone SVG string (no dependency): one line per
 * series over a few labelled points on the x axis, values in ms.
 */
import { esc } from './svg-chart.js'

export interface Series {
  label: string
  values: readonly number[]
  highlight?: boolean
}

const WIDTH = 760
const HEIGHT = 360
const LEFT = 70
const RIGHT = 200
const TOP = 60
const BOTTOM = 50
const COLOURS = ['#8a94a6', '#d9822b', '#3a9d5d', '#9b59b6']

export function lineChartSvg (title: string, subtitle: string, xLabels: readonly string[], series: readonly Series[]): string {
  const plotW = WIDTH - LEFT - RIGHT
  const plotH = HEIGHT - TOP - BOTTOM
  const finite = series.flatMap(s => s.values.filter(Number.isFinite))
  const max = Math.max(0.001, ...finite.map(v => Math.max(0, v))) * 1.1
  const x = (i: number): number => LEFT + (xLabels.length === 1 ? plotW / 2 : (i * plotW) / (xLabels.length - 1))
  const y = (v: number): number => TOP + plotH - (Math.max(0, v) / max) * plotH
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(f => f * max)
  const grid = ticks.map(t => `<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y(t)}" y2="${y(t)}" class="grid"/><text x="${LEFT - 8}" y="${y(t) + 4}" text-anchor="end" class="axis">${t.toFixed(2)}</text>`)
  const xs = xLabels.map((l, i) => `<text x="${x(i)}" y="${TOP + plotH + 20}" text-anchor="middle" class="axis">${esc(l)}</text>`)
  let colour = 0
  const lines = series.map((s, k) => {
    const c = s.highlight === true ? '#2f6fde' : COLOURS[colour++ % COLOURS.length]!
    const pts = s.values.map((v, i) => Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null).filter(p => p !== null)
    const dots = pts.map(p => `<circle cx="${p!.split(',')[0]}" cy="${p!.split(',')[1]}" r="3.5" fill="${c}"/>`).join('')
    const ly = TOP + 10 + k * 22
    return `<polyline points="${pts.join(' ')}" fill="none" stroke="${c}" stroke-width="${s.highlight === true ? 3 : 2}"/>${dots}` +
      `<rect x="${LEFT + plotW + 16}" y="${ly - 9}" width="14" height="4" fill="${c}"/><text x="${LEFT + plotW + 36}" y="${ly - 3}" class="label">${esc(s.label)}</text>`
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${esc(title)}">
  <style>
    text { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; fill: #1f2430; }
    .title { font-size: 16px; font-weight: 600; }
    .sub, .axis { font-size: 11px; fill: #5b6372; }
    .label { font-size: 12px; }
    .grid { stroke: #e3e6eb; }
  </style>
  <rect width="100%" height="100%" fill="#ffffff"/>
  <text x="12" y="24" class="title">${esc(title)}</text>
  <text x="12" y="42" class="sub">${esc(subtitle)}</text>
  ${grid.join('\n  ')}
  ${xs.join('\n  ')}
  ${lines.join('\n  ')}
  <text x="12" y="${HEIGHT - 10}" class="sub">x: offered load as a share of the proxy's own closed-loop capacity · y: ms added over direct at the same rate (lower is better)</text>
</svg>
`
}
