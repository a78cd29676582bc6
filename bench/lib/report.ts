/** Summaries of benchmark runs: medians per contender, ratios, targets, and their text/markdown forms. */
import type { LoadResult } from './load.js'
import { median, minMax, ratio } from './stats.js'

export interface RunSample extends LoadResult {
  run: number
  /** Position of the contender within its round (0 = first). */
  order: number
  /** CPU µs the proxy (process tree) spent per request; null for the direct baseline. */
  proxyCpuUsPerReq: number | null
  originCpuUsPerReq: number
}

export interface ContenderSummary {
  name: string
  label: string
  reqPerSec: number
  reqPerSecRange: [number, number]
  p50Us: number
  p99Us: number
  proxyCpuUsPerReq: number | null
  originCpuUsPerReq: number
  errors: number
  runs: RunSample[]
}

export interface Target { what: string, value: number, goal: string, met: boolean | null }

export function summarise (name: string, label: string, runs: RunSample[]): ContenderSummary {
  const cpu = runs.map((r) => r.proxyCpuUsPerReq).filter((v): v is number => v !== null)
  return {
    name,
    label,
    reqPerSec: median(runs.map((r) => r.reqPerSec)),
    reqPerSecRange: minMax(runs.map((r) => r.reqPerSec)),
    p50Us: median(runs.map((r) => r.p50Us)),
    p99Us: median(runs.map((r) => r.p99Us)),
    proxyCpuUsPerReq: cpu.length > 0 ? median(cpu) : null,
    originCpuUsPerReq: median(runs.map((r) => r.originCpuUsPerReq)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    runs
  }
}

export interface Ratios {
  gatewayVsHttpProxy: number
  gatewayVsNginx: number
  gatewayVsDirect: number
  gatewayP99VsNginxP99: number
  gatewayVsBare: number
  /** Proxy CPU per request with keys and quotas on, over the gateway's without. */
  keysCpuVsGateway: number
}

export function ratios (by: Map<string, ContenderSummary>): Ratios {
  const g = by.get('gateway')
  const get = (n: string, f: (s: ContenderSummary) => number): number => {
    const s = by.get(n)
    return s === undefined ? Number.NaN : f(s)
  }
  const rps = (s: ContenderSummary): number => s.reqPerSec
  return {
    gatewayVsHttpProxy: ratio(g?.reqPerSec ?? Number.NaN, get('http-proxy', rps)),
    gatewayVsNginx: ratio(g?.reqPerSec ?? Number.NaN, get('nginx', rps)),
    gatewayVsDirect: ratio(g?.reqPerSec ?? Number.NaN, get('direct', rps)),
    gatewayP99VsNginxP99: ratio(g?.p99Us ?? Number.NaN, get('nginx', (s) => s.p99Us)),
    gatewayVsBare: ratio(g?.reqPerSec ?? Number.NaN, get('bare', rps)),
    keysCpuVsGateway: ratio(get('gateway-keys', (s) => s.proxyCpuUsPerReq ?? Number.NaN), g?.proxyCpuUsPerReq ?? Number.NaN)
  }
}

/** The project's goals for the gateway at 32 connections. */
export function targets (r: Ratios): Target[] {
  const check = (v: number, ok: (v: number) => boolean): boolean | null => (Number.isFinite(v) ? ok(v) : null)
  return [
    { what: 'gateway / http-proxy throughput', value: r.gatewayVsHttpProxy, goal: '>= 1.5', met: check(r.gatewayVsHttpProxy, (v) => v >= 1.5) },
    { what: 'gateway / nginx throughput', value: r.gatewayVsNginx, goal: '>= 0.5', met: check(r.gatewayVsNginx, (v) => v >= 0.5) },
    { what: 'gateway p99 / nginx p99', value: r.gatewayP99VsNginxP99, goal: '<= 2', met: check(r.gatewayP99VsNginxP99, (v) => v <= 2) },
    { what: 'gateway / bare node proxy throughput', value: r.gatewayVsBare, goal: '>= 0.9', met: check(r.gatewayVsBare, (v) => v >= 0.9) },
    { what: 'keys + quotas on / off, CPU per request', value: r.keysCpuVsGateway, goal: '<= 1.05', met: check(r.keysCpuVsGateway, (v) => v <= 1.05) }
  ]
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a')
const ms = (us: number): string => (Number.isFinite(us) ? (us / 1000).toFixed(2) : 'n/a')
const x = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a')
const cpu = (n: number | null): string => (n === null || !Number.isFinite(n) ? '—' : n.toFixed(0))
const met = (m: boolean | null): string => (m === null ? 'n/a' : m ? 'met' : 'NOT met')

interface Row { cells: string[] }

function rows (list: readonly ContenderSummary[]): Row[] {
  return list.map((s) => ({
    cells: [s.label, int(s.reqPerSec), `${int(s.reqPerSecRange[0])}–${int(s.reqPerSecRange[1])}`, ms(s.p50Us), ms(s.p99Us),
      cpu(s.proxyCpuUsPerReq), cpu(s.originCpuUsPerReq), String(s.errors)]
  }))
}

const HEAD = ['contender', 'req/s (median)', 'req/s (min–max)', 'p50 ms', 'p99 ms', 'proxy CPU µs/req', 'origin CPU µs/req', 'errors']

export function textTable (list: readonly ContenderSummary[], r: Ratios): string {
  const all = [HEAD, ...rows(list).map((x) => x.cells)]
  const widths = HEAD.map((_, i) => Math.max(...all.map((row) => row[i]!.length)))
  const line = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  const out = [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line), '']
  for (const t of targets(r)) out.push(`${t.what.padEnd(32)} ${x(t.value).padStart(7)}   target ${t.goal.padEnd(6)} ${met(t.met)}`)
  out.push(`${'gateway / direct throughput'.padEnd(32)} ${x(r.gatewayVsDirect).padStart(7)}`)
  return out.join('\n')
}

export function markdown (list: readonly ContenderSummary[], r: Ratios, setup: string[]): string {
  const out = ['# Data-plane benchmark', '', ...setup.map((s) => `- ${s}`), '',
    `| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows(list).map((row) => `| ${row.cells.join(' | ')} |`), '',
    '| ratio | value | target | |', '|---|---:|---|---|',
    ...targets(r).map((t) => `| ${t.what} | ${x(t.value)} | ${t.goal} | ${met(t.met)} |`),
    `| gateway / direct throughput | ${x(r.gatewayVsDirect)} | | |`, '',
    '![median req/s per contender](proxy.svg)', '']
  return out.join('\n')
}
