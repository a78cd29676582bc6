// With access control on, the application lands in rollups and records in
// ClickHouse, and `x-gateway-traffic: batch` counts only from an application
// with the batch right: from one without it the requests are live traffic.
// Rollups count an application's 429s as throttled.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { eventually } from '../support/eventually.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { FRAUD_REQUEST } from '../support/oip.js'
import { dropIsolated, isolated, startSink, type Isolated, type SinkProcess } from './pipeline-harness.js'

const LIVE_KEY = 'live-only-app-key-0123456789abcd'
const BATCH_KEY = 'batch-right-app-key-0123456789ab'
let iso: Isolated
let sink: SinkProcess
let model: ModelProcess
let gw: GatewayProcess
const idPrefix = `mark-${randomBytes(4).toString('hex')}`
const statuses: Record<string, number[]> = { 'live-app': [], 'batch-app': [] }

beforeAll(async () => {
  iso = await isolated('mark')
  sink = await startSink(iso)
  model = await startModel({ version: 'v1' })
  gw = await startGatewayProcess({
    logging: { sink: 'kafka', kafkaBrokers: iso.env.KAFKA_BROKERS.split(','), topicPrefix: iso.prefix, flushIntervalMs: 100, rollupFlushMs: 300 },
    access: {
      enabled: true,
      applications: {
        'live-app': { models: ['fraud'], quota: { rps: 1, burst: 3 }, keys: [{ name: 'main', key: LIVE_KEY }] },
        'batch-app': { models: ['fraud'], rights: ['batch'], keys: [{ name: 'main', key: BATCH_KEY }] }
      }
    },
    models: { fraud: { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, sampling: { rate: 1 } } }
  })
  const send = async (app: string, key: string, i: number): Promise<void> => {
    const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-gateway-traffic': 'batch', 'x-request-id': `${idPrefix}-${app}-${i}` }, body: FRAUD_REQUEST })
    await res.arrayBuffer()
    statuses[app]!.push(res.status)
  }
  // Eight at once from live-app: its burst of 3 passes, the rest are over its quota.
  await Promise.all(Array.from({ length: 8 }, (_, i) => send('live-app', LIVE_KEY, i)))
  for (let i = 0; i < 4; i++) await send('batch-app', BATCH_KEY, i)
}, 120_000)
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
  await sink?.stop()
  await dropIsolated(iso)
})

interface Cell { application: string, traffic: string, requests: string, throttled: string }

async function rollups (): Promise<Cell[]> {
  return await iso.ch.select<Cell>(`SELECT application, traffic, sum(requests) AS requests, sum(throttled) AS throttled FROM ${iso.db}.rollups FINAL WHERE model = 'fraud' GROUP BY application, traffic ORDER BY application, traffic`)
}

describe('application and traffic kind in ClickHouse', () => {
  it('the batch mark from an application without the batch right is counted as live, in rollups and records', async () => {
    expect(statuses['live-app']!.filter(s => s === 200).length).toBeGreaterThanOrEqual(3)
    await eventually(async () => {
      const cells = (await rollups()).filter(c => c.application === 'live-app')
      expect(cells.map(c => [c.traffic, Number(c.requests)])).toEqual([['live', 8]])
    }, { timeoutMs: 60_000, intervalMs: 500 })
    const records = await iso.ch.select<{ traffic: string, application: string }>(`SELECT DISTINCT traffic, application FROM ${iso.db}.records FINAL WHERE startsWith(request_id, {p:String})`, { p: `${idPrefix}-live-app` })
    expect(records).toEqual([{ traffic: 'live', application: 'live-app' }])
  }, 90_000)

  it('the same mark from an application with the batch right is counted as batch', async () => {
    expect(statuses['batch-app']).toEqual([200, 200, 200, 200])
    await eventually(async () => {
      const cells = (await rollups()).filter(c => c.application === 'batch-app')
      expect(cells.map(c => [c.traffic, Number(c.requests)])).toEqual([['batch', 4]])
    }, { timeoutMs: 60_000, intervalMs: 500 })
  }, 90_000)

  it('rollups count the application\'s 429s as throttled', async () => {
    const tooMany = statuses['live-app']!.filter(s => s === 429).length
    expect(tooMany).toBeGreaterThan(0)
    expect(tooMany + statuses['live-app']!.filter(s => s === 200).length).toBe(8)
    await eventually(async () => {
      const cell = (await rollups()).find(c => c.application === 'live-app')
      expect(Number(cell?.throttled)).toBe(tooMany)
    }, { timeoutMs: 60_000, intervalMs: 500 })
  }, 90_000)
})
