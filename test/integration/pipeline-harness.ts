// Shared by the pipeline-*.test.ts files: a fresh ClickHouse database and Kafka
// topic prefix per test, the sink as a real `model-gateway sink` process, a
// bounded request loop, and queries that read back what landed.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { serviceEnv } from '../../scripts/services/control.js'
import { ClickHouse } from '../../gateway/sink/clickhouse.js'
import { migrate } from '../../gateway/sink/schema.js'
import { ensureTopics, kafkaClient } from '../../gateway/observe/topics.js'
import { createLogger } from '../../gateway/observe/log.js'
import { startLoad, type LoadResult, type RunningLoad } from '../support/load.js'

export type { LoadResult } from '../support/load.js'

export const REPO = join(import.meta.dirname, '..', '..')
export const CLI = join(REPO, 'dist', 'gateway', 'cli', 'main.js')

export interface Isolated {
  db: string
  prefix: string
  ch: ClickHouse
  env: ReturnType<typeof serviceEnv>
}

/** A database and topic prefix nobody else uses, with the schema and topics created. */
export async function isolated (tag: string): Promise<Isolated> {
  const env = serviceEnv()
  const id = `${tag}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
  const db = `pt_${id}`
  const prefix = `pt-${id}`
  const ch = new ClickHouse({ url: env.CLICKHOUSE_URL, database: db })
  await migrate(ch, 0)
  await ensureTopics(kafkaClient(env.KAFKA_BROKERS.split(','), 'pipeline-test', createLogger('silent')), prefix)
  return { db, prefix, ch, env }
}

export async function dropIsolated (iso: Isolated | undefined): Promise<void> {
  if (iso === undefined) return
  await iso.ch.command(`DROP DATABASE IF EXISTS ${iso.db}`).catch(() => {})
  await iso.ch.close().catch(() => {})
}

export interface SinkProcess {
  child: ChildProcess
  stderr (): string
  stop (): Promise<void>
}

export async function startSink (iso: Isolated, group = `g-${iso.prefix}`): Promise<SinkProcess> {
  const child = spawn(process.execPath, [CLI, 'sink', '--brokers', iso.env.KAFKA_BROKERS, '--clickhouse', iso.env.CLICKHOUSE_URL, '--database', iso.db, '--topic-prefix', iso.prefix, '--group', group], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info' }
  })
  let err = ''
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { err = (err + c).slice(-32_000) })
  const exited = new Promise<void>(resolve => child.once('exit', () => { resolve() }))
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`sink not ready in 45 s:\n${err}`)) }, 45_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"event":"ready"')) { clearTimeout(timer); resolve() }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`sink exited with ${code} before ready:\n${err}`)) })
  })
  await ready
  return {
    child,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000)
        await exited
        clearTimeout(t)
      }
    }
  }
}

/** Scoring requests with unique ids (prefix + index), users spread over 997 sticky keys. */
export function pipelineLoad (baseUrl: string, maxRequests: number, opts: { concurrency?: number, maxMs?: number, idPrefix?: string, pauseMs?: number } = {}): RunningLoad {
  const idPrefix = opts.idPrefix ?? randomBytes(4).toString('hex')
  return startLoad({
    url: baseUrl,
    maxRequests,
    maxMs: opts.maxMs ?? 60_000,
    concurrency: opts.concurrency ?? 8,
    pauseMs: opts.pauseMs,
    request: i => ({ headers: { 'x-request-id': `${idPrefix}-${i}`, 'x-user-id': `user-${i % 997}` } })
  })
}

/** Runs pipelineLoad to its bounds. */
export async function load (baseUrl: string, n: number, opts: { concurrency?: number, maxMs?: number, idPrefix?: string } = {}): Promise<LoadResult> {
  return await pipelineLoad(baseUrl, n, opts).done
}

/** Distinct request ids per version in the records table (exact after redeliveries). */
export async function recordCounts (iso: Isolated, model = 'fraud'): Promise<Record<string, number>> {
  const rows = await iso.ch.select<{ version: string, n: string }>(`SELECT version, uniqExact(request_id) AS n FROM ${iso.db}.records WHERE model = {model:String} GROUP BY version`, { model })
  return Object.fromEntries(rows.map(r => [r.version, Number(r.n)]))
}

/** Rows in the records table after collapsing duplicates (FINAL). */
export async function recordRowsFinal (iso: Isolated): Promise<number> {
  const rows = await iso.ch.select<{ n: string }>(`SELECT count() AS n FROM ${iso.db}.records FINAL`)
  return Number(rows[0]!.n)
}

/** Exact requests per version from the rollups (FINAL keeps the latest cumulative row per cell). */
export async function rollupTotals (iso: Isolated, model = 'fraud'): Promise<Record<string, number>> {
  const rows = await iso.ch.select<{ version: string, n: string }>(`SELECT version, sum(requests) AS n FROM ${iso.db}.rollups FINAL WHERE model = {model:String} GROUP BY version`, { model })
  return Object.fromEntries(rows.map(r => [r.version, Number(r.n)]))
}

export function sum (o: Record<string, number>): number {
  return Object.values(o).reduce((a, b) => a + b, 0)
}

export interface GatewayConfigOptions {
  iso: Isolated
  v1: string[]
  v2: string[]
  canaryWeight?: number
  sampling?: object
  instanceId?: string
  logging?: object
}

export function gatewayConfig (o: GatewayConfigOptions): object {
  return {
    gateway: { host: '127.0.0.1', port: 0, ...(o.instanceId === undefined ? {} : { instanceId: o.instanceId }) },
    admin: { host: '127.0.0.1', port: 0, metricsPublic: true, tokens: [{ name: 'test', token: 'pipeline-test-token-0123456789', role: 'admin' }] },
    logging: { sink: 'kafka', kafkaBrokers: o.iso.env.KAFKA_BROKERS.split(','), topicPrefix: o.iso.prefix, flushIntervalMs: 100, rollupFlushMs: 500, ...o.logging },
    models: {
      fraud: {
        versions: { v1: { replicas: o.v1 }, v2: { replicas: o.v2 } },
        sticky: { header: 'x-user-id' },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: o.canaryWeight ?? 2000 },
        healthCheck: { enabled: false },
        sampling: o.sampling ?? { rate: 1 }
      }
    }
  }
}

/** Reads one gauge or counter value from the admin /metrics text. */
export async function metricValue (adminUrl: string, name: string, labels = ''): Promise<number> {
  const res = await fetch(`${adminUrl}/metrics`)
  const text = await res.text()
  const line = text.split('\n').find(l => l.startsWith(labels === '' ? `${name} ` : `${name}{${labels}}`))
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
}

/** The fraud fixture under the name newer pipeline tests import. */
export { FRAUD_REQUEST as INFER_BODY } from '../support/oip.js'

/** The polling helper beside eventually(), under the name the pipeline tests import. */
export { waitFor } from '../support/eventually.js'
