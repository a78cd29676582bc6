// Shared by the release tests decided by outcomes: stable v1 and a candidate
// model process, a gateway whose controller reads ClickHouse, the sink, live
// traffic with sticky users, and a simulated label service that reports each
// answered request's ground truth once it is `delayMs` old (labels arrive
// later than answers, as they do).
import { Pool } from 'undici'
import { startModel, type ModelProcess, type StartModelOptions } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { seeded } from '../support/seeded-random.js'
import { TOKEN } from './release-harness.js'
import { dropIsolated, isolated, startSink, type Isolated, type SinkProcess } from './pipeline-harness.js'
import { features, inferBody, outcomesConfig, postOutcomes, truthModel } from './outcomes-harness.js'

export interface OutcomeReleaseSetup {
  iso: Isolated
  sink: SinkProcess
  stable: ModelProcess
  candidate: ModelProcess
  gw: GatewayProcess
  stop (): Promise<void>
}

/** v1 (stable, v1 weights) and `version` (the candidate, with `candidate` knobs); the controller on ClickHouse. */
export async function startOutcomeRelease (tag: string, version: string, candidate: Partial<StartModelOptions>): Promise<OutcomeReleaseSetup> {
  const iso = await isolated(tag)
  const sink = await startSink(iso)
  const stable = await startModel({ version: 'v1' })
  const cand = await startModel({ version, ...candidate })
  const config = outcomesConfig({
    iso,
    versions: { v1: [stable.url], [version]: [cand.url] },
    sampling: { rate: 1, captureBodies: true },
    rollouts: { source: 'clickhouse', clickhouseUrl: iso.env.CLICKHOUSE_URL, clickhouseDatabase: iso.db, tickMs: 100, staleAfterMs: 30_000 }
  }) as { admin: { tokens: Array<{ token: string }> } }
  config.admin.tokens[0]!.token = TOKEN
  const gw = await startGatewayProcess(config, { env: { LOG_LEVEL: 'info' } })
  return {
    iso,
    sink,
    stable,
    candidate: cand,
    gw,
    async stop () {
      await gw.stop()
      await sink.stop()
      await Promise.all([stable.stop(), cand.stop()])
      await dropIsolated(iso)
    }
  }
}

export interface LabelledTraffic {
  /** Answers by version. */
  versions: Map<string, number>
  /** Labels reported so far. */
  labelled (): number
  stop (): Promise<void>
}

/**
 * Scoring requests (`concurrency` in flight, user-<n>, unique ids) until
 * stopped; every answered request gets its label from `truth` (seeded per
 * request) posted once it is `delayMs` old, in batches, with `at` = when it
 * was answered + delayMs.
 */
export function labelledTraffic (url: string, truth: 'v1' | 'v2', o: { concurrency?: number, delayMs?: number, seed?: number, maxMs?: number } = {}): LabelledTraffic {
  const p = truthModel(truth)
  const delayMs = o.delayMs ?? 1_000
  const pool = new Pool(url, { connections: o.concurrency ?? 6 })
  const pending: Array<{ id: string, label: number, answeredAt: number }> = []
  const versions = new Map<string, number>()
  const deadline = Date.now() + (o.maxMs ?? 240_000)
  let labelled = 0
  let stopped = false
  let n = 0
  const worker = async (): Promise<void> => {
    while (!stopped && Date.now() < deadline) {
      const i = n++
      const f = features(i)
      const id = `lt-${i}`
      try {
        const res = await pool.request({ path: '/v2/models/fraud/infer', method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id, 'x-user-id': `user-${i}` }, body: inferBody(f) })
        await res.body.text()
        const v = res.headers['x-model-version']
        if (res.statusCode !== 200 || typeof v !== 'string') continue
        versions.set(v, (versions.get(v) ?? 0) + 1)
        pending.push({ id, label: seeded((o.seed ?? 7) + i)() < p(f) ? 1 : 0, answeredAt: Date.now() })
      } catch {
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
  }
  const labeler = async (): Promise<void> => {
    while (!stopped || pending.length > 0) {
      const now = Date.now()
      let k = 0
      while (k < pending.length && (stopped || now - pending[k]!.answeredAt >= delayMs)) k++
      const due = pending.splice(0, Math.min(k, 5_000))
      if (due.length > 0) {
        const r = await postOutcomes(url, due.map(d => ({ id: d.id, label: d.label, at: Math.round(d.answeredAt + delayMs) }))).catch(() => ({ status: 0 }))
        if (r.status === 200) labelled += due.length
        else if (!stopped) pending.unshift(...due)
      }
      if (stopped && pending.length === 0) break
      await new Promise(resolve => setTimeout(resolve, 250))
    }
  }
  const workers = Promise.all(Array.from({ length: o.concurrency ?? 6 }, worker))
  const labels = labeler()
  return {
    versions,
    labelled: () => labelled,
    async stop () {
      stopped = true
      await workers
      await labels
      await pool.close()
    }
  }
}
