// A real gateway's /metrics with the families dashboards and alerts query:
// traffic counted, the file scoring-log pipeline on, load shedding armed (far
// above this traffic), a rollout started and aborted (release gauges and the
// ended counter have samples).
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { rm } from 'node:fs/promises'
import { request } from 'undici'
import { adminCall, fastPlan, INFER_BODY, startSetup, TOKEN } from '../integration/release-harness.js'

export interface Scraped {
  exposition: string
  /** Metric family names from the # TYPE lines. */
  families: Set<string>
}

export async function scrapeBusyGateway (): Promise<Scraped> {
  const file = join(tmpdir(), `metrics-scrape-${process.pid}-${Date.now()}.ndjson`)
  const s = await startSetup({}, 0, { logging: { sink: 'file', file }, gateway: { overload: { maxInFlight: 100_000 } } })
  try {
    for (let i = 0; i < 20; i++) {
      const res = await request(`${s.gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: INFER_BODY })
      await res.body.text()
    }
    const started = await adminCall(s.gw, 'POST', '/admin/models/fraud/rollout', { version: 'v3', plan: fastPlan() })
    if (started.status !== 201) throw new Error(`rollout start: ${JSON.stringify(started.json)}`)
    const aborted = await adminCall(s.gw, 'POST', '/admin/models/fraud/rollout/abort', {})
    if (aborted.status !== 200) throw new Error(`rollout abort: ${JSON.stringify(aborted.json)}`)
    const res = await request(`${s.gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    const exposition = await res.body.text()
    return { exposition, families: new Set([...exposition.matchAll(/^# TYPE (\S+) \S+$/gm)].map(m => m[1]!)) }
  } finally {
    await s.stop()
    await rm(file, { force: true })
  }
}

/** Names in `names` that are not a family (histogram series names count as their family). */
export function missingMetrics (names: Iterable<string>, families: ReadonlySet<string>): string[] {
  return [...new Set(names)].filter(n => !families.has(n) && !families.has(n.replace(/_(bucket|sum|count)$/, '')))
}
