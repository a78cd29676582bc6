/**
 * Aggregates a V8 .cpuprofile (node --cpu-prof) into self time per function
 * and per file, to see where a process spends its time per request.
 */

interface CallFrame { functionName: string, url: string, lineNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame }
export interface CpuProfile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

export interface SelfTime { key: string, selfUs: number }

export interface ProfileSummary {
  totalUs: number
  /** Total minus (idle): time the process was on CPU or in the VM. */
  busyUs: number
  byFunction: SelfTime[]
  byFile: SelfTime[]
}

/** Shortens file URLs: node_modules/<pkg>/..., repo-relative dist paths, node: internals. */
export function shortUrl (url: string): string {
  if (url === '') return ''
  const nm = url.lastIndexOf('/node_modules/')
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length)
  const dist = url.indexOf('/dist/')
  if (dist >= 0) return url.slice(dist + 1)
  return url.replace(/^file:\/\//, '')
}

function add (m: Map<string, number>, k: string, v: number): void {
  m.set(k, (m.get(k) ?? 0) + v)
}

const sorted = (m: Map<string, number>): SelfTime[] =>
  [...m].map(([key, selfUs]) => ({ key, selfUs })).sort((a, b) => b.selfUs - a.selfUs)

/**
 * `window` (µs on the profile's clock, CLOCK_MONOTONIC like process.hrtime)
 * keeps only samples taken inside it, e.g. the load run without start-up.
 */
export function summariseProfile (p: CpuProfile, window?: { fromUs: number, toUs: number }): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const fn = new Map<string, number>()
  const file = new Map<string, number>()
  let totalUs = 0
  let idleUs = 0
  let t = p.startTime
  // timeDeltas[i] is the time between sample i-1 and sample i; charge each
  // interval to the sample that ends it, as Chrome DevTools does.
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]!)
    const dt = p.timeDeltas[i] ?? 0
    t += dt
    if (window !== undefined && (t < window.fromUs || t > window.toUs)) continue
    if (node === undefined || dt <= 0) continue
    const { functionName, url, lineNumber } = node.callFrame
    const name = functionName === '' ? '(anonymous)' : functionName
    const where = shortUrl(url)
    add(fn, where === '' ? name : `${name}  ${where}:${lineNumber + 1}`, dt)
    add(file, where === '' ? name : where, dt)
    totalUs += dt
    if (name === '(idle)') idleUs += dt
  }
  return { totalUs, busyUs: totalUs - idleUs, byFunction: sorted(fn), byFile: sorted(file) }
}

/** Top rows without (idle): ms, % of non-idle time, and µs per request when `requests` > 0. */
export function formatTop (rows: readonly SelfTime[], n: number, busyUs: number, requests: number): string {
  const head = `  #  self ms  % busy  µs/req  function or file`
  return [head, ...rows.filter((r) => r.key !== '(idle)').slice(0, n).map((r, i) =>
    `${String(i + 1).padStart(3)} ${(r.selfUs / 1000).toFixed(0).padStart(8)} ${(100 * r.selfUs / busyUs).toFixed(1).padStart(6)}% ${(requests > 0 ? r.selfUs / requests : Number.NaN).toFixed(1).padStart(7)}  ${r.key}`
  )].join('\n')
}
