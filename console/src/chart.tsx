// A time-series line chart (uPlot, drawn on a canvas): one line per series,
// updated in place when the data changes instead of being rebuilt.
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'

export interface Line { label: string, color: string, values: Array<number | null>, dash?: boolean }

export interface ChartProps {
  title: string
  /** Epoch seconds. */
  times: number[]
  lines: Line[]
  unit?: string
  height?: number
  stepped?: boolean
}

export function Chart ({ title, times, lines, unit = '', height = 160, stepped = false }: ChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const shape = lines.map(l => `${l.label}/${l.color}`).join('|')

  useEffect(() => {
    const el = box.current!
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{}, { values: (_u, vals) => vals.map(v => `${v}${unit}`), size: 60 }],
      series: [{}, ...lines.map(l => ({
        label: l.label,
        stroke: l.color,
        width: 2,
        dash: l.dash === true ? [6, 4] : undefined,
        spanGaps: false,
        // A step with data between empty ones has no line to draw: its point shows it.
        points: { show: true, size: 4 },
        ...(stepped ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {})
      }))]
    }
    const u = new uPlot(opts, [times, ...lines.map(l => l.values)] as uPlot.AlignedData, el)
    plot.current = u
    const resize = new ResizeObserver(() => { u.setSize({ width: Math.max(280, el.clientWidth), height }) })
    resize.observe(el)
    return () => { resize.disconnect(); u.destroy(); plot.current = null }
  }, [shape, height, unit, stepped])

  useEffect(() => {
    plot.current?.setData([times, ...lines.map(l => l.values)] as uPlot.AlignedData)
  }, [times, lines])

  return (
    <figure class='chart'>
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  )
}
