// Shared by the outcomes-*.test.ts files: a gateway config that keeps the
// assignment ledger, scored requests with their ids, versions, predictions and
// inputs, simulated ground truth from a known model, outcome posts, the CLI as
// a real process, and waits for what landed in ClickHouse.
import { spawn } from 'node:child_process'
import { expect } from 'vitest'
import { scoreRows, loadWeights, type FraudWeights } from '../../scorer-sdk/examples/fraud/model.js'
import { startLoad, type LoadRequest } from '../support/load.js'
import { eventually } from '../support/eventually.js'
import { seeded } from '../support/seeded-random.js'
import { CLI, type Isolated } from './pipeline-harness.js'

export const ADMIN_TOKEN = 'outcomes-admin-token-0123456789'

export interface OutcomesConfigOptions {
  iso: Isolated
  /** Version -> replica URLs (the first is stable). */
  versions: Record<string, string[]>
  canary?: { version: string, weight: number }
  outcomes?: Record<string, unknown>
  rollouts?: Record<string, unknown>
  sampling?: Record<string, unknown>
  logging?: Record<string, unknown>
  release?: Record<string, unknown>
}

export function outcomesConfig (o: OutcomesConfigOptions): object {
  const names = Object.keys(o.versions)
  return {
    gateway: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0, metricsPublic: true, tokens: [{ name: 'ops', token: ADMIN_TOKEN, role: 'admin' }] },
    logging: { sink: 'kafka', kafkaBrokers: o.iso.env.KAFKA_BROKERS.split(','), topicPrefix: o.iso.prefix, flushIntervalMs: 100, rollupFlushMs: 500, ...o.logging },
    ...(o.rollouts === undefined ? {} : { rollouts: o.rollouts }),
    models: {
      fraud: {
        versions: Object.fromEntries(names.map(v => [v, { replicas: o.versions[v] }])),
        sticky: { header: 'x-user-id' },
        allowVersionHeader: true,
        release: { strategy: 'canary', stable: names[0], ...(o.canary === undefined ? {} : { canary: o.canary.version, canaryWeight: o.canary.weight }), ...o.release },
        healthCheck: { enabled: false },
        outlierDetection: { enabled: false },
        sampling: o.sampling ?? { rate: 0 },
        outcomes: { prediction: 'fraud_probability', ...o.outcomes }
      }
    }
  }
}

/** A request's features: spread over the range the fraud model was trained on, varying with n. */
export function features (n: number, drift = 0): number[] {
  const u = (k: number): number => ((n * 2654435761 + k * 40503) >>> 0) % 1000 / 1000
  // drift moves amounts and distances up (new merchants, longer distances): 0 = the training range.
  return [50 + 1500 * u(1) * (1 + drift), 5 + 900 * u(2), 1 + 15 * u(3), 2 + 600 * u(4) * (1 + drift)]
}

export function inferBody (f: readonly number[]): string {
  return JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: f }] })
}

export interface Scored {
  i: number
  id: string
  version: string
  prediction: number
  features: number[]
  /** Epoch ms when the answer arrived. */
  at: number
}

export interface ScoreOptions {
  idPrefix: string
  concurrency?: number
  /** The version to ask for (x-model-version header); default: the model's split. */
  version?: string
  drift?: number
  /** Offset of n in features(n), so batches draw other inputs. */
  offset?: number
  maxMs?: number
}

/** Sends `n` scoring requests (user `user-<i>`) and returns every 200 answer with what it scored. */
export async function scoreRequests (url: string, n: number, o: ScoreOptions): Promise<Scored[]> {
  const out: Scored[] = []
  const inputs = new Map<number, number[]>()
  const request = (i: number): LoadRequest => {
    const f = features(i + (o.offset ?? 0), o.drift ?? 0)
    inputs.set(i, f)
    return { path: '/v2/models/fraud/infer', headers: { 'x-request-id': `${o.idPrefix}-${i}`, 'x-user-id': `user-${i + (o.offset ?? 0)}`, ...(o.version === undefined ? {} : { 'x-model-version': o.version }) }, body: inferBody(f) }
  }
  const r = await startLoad({
    url,
    maxRequests: n,
    maxMs: o.maxMs ?? 120_000,
    concurrency: o.concurrency ?? 6,
    request,
    onAnswer: (a) => {
      if (a.status !== 200) return
      const body = JSON.parse(a.body) as { outputs: Array<{ data: number[] }> }
      out.push({ i: a.i, id: `${o.idPrefix}-${a.i}`, version: a.version!, prediction: body.outputs[0]!.data[0]!, features: inputs.get(a.i)!, at: Date.now() })
    }
  }).done
  expect(r.statuses).toEqual({ 200: n })
  return out.sort((a, b) => a.i - b.i)
}

/** The probability a known model gives the features: the simulated world's truth. */
export function truthModel (weights: 'v1' | 'v2'): (f: readonly number[]) => number {
  const w: FraudWeights = loadWeights(weights).weights
  return (f) => scoreRows(w, f, 1)[0]!
}

/** Seeded labels: request i is fraud with the truth model's probability for its features (the same draw for every version). */
export function drawLabels (scored: readonly Scored[], truth: (f: readonly number[]) => number, seed: number): Map<string, number> {
  const out = new Map<string, number>()
  for (const s of scored) {
    const u = seeded(seed + s.i)()
    out.set(s.id, u < truth(s.features) ? 1 : 0)
  }
  return out
}

export async function postOutcomes (url: string, items: readonly object[], opts: { ndjson?: boolean, model?: string } = {}): Promise<{ status: number, json: Record<string, unknown> }> {
  const body = opts.ndjson === true ? items.map(i => JSON.stringify(i)).join('\n') : JSON.stringify(items)
  const res = await fetch(`${url}/v2/models/${opts.model ?? 'fraud'}/outcomes`, { method: 'POST', headers: { 'content-type': opts.ndjson === true ? 'application/x-ndjson' : 'application/json' }, body })
  return { status: res.status, json: await res.json() as Record<string, unknown> }
}

/** Distinct request ids with an outcome of the kind in ClickHouse. */
export async function outcomeIds (iso: Isolated, kind: 'label' | 'value'): Promise<number> {
  const rows = await iso.ch.select<{ n: string }>(`SELECT uniqExact(request_id) AS n FROM ${iso.db}.outcomes WHERE model = 'fraud' AND kind = {kind:String}`, { kind })
  return Number(rows[0]!.n)
}

/** Distinct request ids on the ledger. */
export async function ledgerIds (iso: Isolated): Promise<number> {
  const rows = await iso.ch.select<{ n: string }>(`SELECT uniqExact(request_id) AS n FROM ${iso.db}.ledger WHERE model = 'fraud'`)
  return Number(rows[0]!.n)
}

export async function waitForLedger (iso: Isolated, n: number, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => { expect(await ledgerIds(iso)).toBeGreaterThanOrEqual(n) }, { timeoutMs, intervalMs: 500 })
}

export interface CliResult { code: number | null, stdout: string, stderr: string }

/** Runs `model-gateway …` as a real process. */
export async function cli (args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn', ...env } })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  return { code, stdout, stderr }
}

export function chArgs (iso: Isolated): string[] {
  return ['--clickhouse', iso.env.CLICKHOUSE_URL, '--database', iso.db]
}
