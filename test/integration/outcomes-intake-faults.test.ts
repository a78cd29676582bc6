// The outcome intake with Kafka or ClickHouse down while outcomes keep coming:
// an outcome answered 200 is in ClickHouse once everything is back, whatever
// happened in between. With Kafka down the intake answers 503 (nothing was
// queued, the sender sends again); with ClickHouse down it keeps answering 200
// (Kafka holds the outcomes until the sink can insert them).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startService, stopService } from '../../scripts/services/control.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { dropIsolated, isolated, startSink, type Isolated, type SinkProcess } from './pipeline-harness.js'
import { outcomesConfig } from './outcomes-harness.js'

let model: ModelProcess | undefined
let gw: GatewayProcess | undefined
let sink: SinkProcess | undefined
let iso: Isolated | undefined

beforeAll(async () => { model = await startModel({ version: 'v1' }) })
afterAll(async () => { await model?.stop() })
afterEach(async () => {
  // A failed test must not leave a service stopped for the next one.
  await startService('kafka').catch(() => {})
  await startService('clickhouse').catch(() => {})
  await gw?.stop()
  await sink?.stop()
  await dropIsolated(iso)
  gw = sink = iso = undefined
})

interface Sender {
  /** Ids of items answered 200. */
  accepted: Set<string>
  /** Answers by status (0: no answer). */
  statuses: Map<number, number>
  stop (): Promise<void>
}

/** Posts batches of 20 new labels in a loop until stopped; records what each answer said. */
function sender (url: string, prefix: string): Sender {
  const s: Sender = { accepted: new Set(), statuses: new Map(), stop: async () => { stopped = true; await running } }
  let stopped = false
  let n = 0
  const running = (async () => {
    while (!stopped) {
      const ids = Array.from({ length: 20 }, () => `${prefix}-${n++}`)
      let status = 0
      try {
        const res = await fetch(`${url}/v2/models/fraud/outcomes`, { method: 'POST', body: JSON.stringify(ids.map(id => ({ id, label: 1 }))), signal: AbortSignal.timeout(20_000) })
        status = res.status
        await res.text()
      } catch { /* no answer: counted under 0 */ }
      s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1)
      if (status === 200) for (const id of ids) s.accepted.add(id)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  })()
  return s
}

async function storedIds (prefix: string): Promise<Set<string>> {
  const rows = await iso!.ch.select<{ request_id: string }>(`SELECT DISTINCT request_id FROM ${iso!.db}.outcomes WHERE request_id LIKE {p:String}`, { p: `${prefix}-%` })
  return new Set(rows.map(r => r.request_id))
}

async function waitForAccepted (s: Sender, n: number): Promise<void> {
  const from = s.accepted.size
  await eventually(() => { expect(s.accepted.size - from).toBeGreaterThanOrEqual(n) }, { timeoutMs: 30_000, intervalMs: 100 })
}

describe('outcome intake under faults', () => {
  it('Kafka down: the intake answers 503 while it is down, and every outcome answered 200 (before, during, after) is in ClickHouse once it is back', async () => {
    iso = await isolated('okafka')
    sink = await startSink(iso)
    gw = await startGatewayProcess(outcomesConfig({ iso, versions: { v1: [model!.url] }, logging: {} }))
    const s = sender(gw.url, 'kd')
    await waitForAccepted(s, 200)
    await stopService('kafka')
    await eventually(() => { expect(s.statuses.get(503) ?? 0).toBeGreaterThan(0) }, { timeoutMs: 60_000, intervalMs: 200 })
    await startService('kafka')
    await waitForAccepted(s, 200)
    await s.stop()

    expect([...s.statuses.keys()].every(k => k === 200 || k === 503)).toBe(true)
    await eventually(async () => {
      const stored = await storedIds('kd')
      expect([...s.accepted].filter(id => !stored.has(id))).toEqual([])
    }, { timeoutMs: 90_000, intervalMs: 1_000 })
    const body = await (await fetch(`${gw.url}/v2/models/fraud/outcomes`, { method: 'POST', body: '[{"id":"after","label":0}]' })).json()
    expect(body).toEqual({ accepted: 1, model: 'fraud' })
  }, 240_000)

  it('ClickHouse down: the intake keeps answering 200, and every accepted outcome is in ClickHouse once it is back', async () => {
    iso = await isolated('ochdown')
    sink = await startSink(iso)
    gw = await startGatewayProcess(outcomesConfig({ iso, versions: { v1: [model!.url] } }))
    const s = sender(gw.url, 'cd')
    await waitForAccepted(s, 200)
    await stopService('clickhouse')
    await waitForAccepted(s, 400)
    // The sink tried and could not insert while it was down.
    await eventually(() => { expect(sink!.stderr()).toContain('ClickHouse insert failed') }, { timeoutMs: 30_000, intervalMs: 200 })
    await startService('clickhouse')
    await waitForAccepted(s, 200)
    await s.stop()

    expect([...s.statuses.keys()]).toEqual([200])
    await eventually(async () => {
      const stored = await storedIds('cd')
      expect(stored.size).toBe(s.accepted.size)
      expect([...s.accepted].filter(id => !stored.has(id))).toEqual([])
    }, { timeoutMs: 90_000, intervalMs: 1_000 })
  }, 240_000)
})
