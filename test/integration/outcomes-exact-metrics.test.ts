// Outcomes that arrive late (explicit `at` hours after the request), out of
// order, twice, corrected, and for requests nobody made, through every intake
// (HTTP JSON and NDJSON, scorer-sdk, the Kafka topic a label job writes to,
// `outcomes load` from a CSV file), give per-version metrics equal to what the
// simulated ground truth says; unknown ids are counted as unmatched.
import { writeFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CompressionTypes } from 'kafkajs'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { seeded } from '../support/seeded-random.js'
import { ScorerClient } from '../../scorer-sdk/client.js'
import { kafkaClient, topicName } from '../../gateway/observe/topics.js'
import { createLogger } from '../../gateway/observe/log.js'
import { dropIsolated, isolated, startSink, type Isolated, type SinkProcess } from './pipeline-harness.js'
import { chArgs, cli, drawLabels, outcomeIds, outcomesConfig, postOutcomes, scoreRequests, truthModel, waitForLedger, type Scored } from './outcomes-harness.js'

const N = 300
const HOUR = 3_600_000
let models: ModelProcess[] = []
let gw: GatewayProcess | undefined
let sink: SinkProcess | undefined
let iso: Isolated | undefined
let dir = ''

beforeAll(async () => {
  models = [await startModel({ version: 'v1' }), await startModel({ version: 'v2', extraArgs: ['--weights', 'v2'] })]
  iso = await isolated('oexact')
  sink = await startSink(iso)
  gw = await startGatewayProcess(outcomesConfig({ iso, versions: { v1: [models[0]!.url], v2: [models[1]!.url] }, canary: { version: 'v2', weight: 5000 } }))
  dir = await mkdtemp(join(tmpdir(), 'outcomes-exact-'))
})
afterAll(async () => {
  await gw?.stop()
  await sink?.stop()
  await Promise.allSettled(models.map(m => m.stop()))
  await dropIsolated(iso)
  if (dir !== '') await rm(dir, { recursive: true, force: true })
})

interface Expected { requests: number, labelled: number, accuracy: number, logLoss: number, brier: number, auc: number, valueMean: number, valueRate: number }

function expected (scored: readonly Scored[], labels: ReadonlyMap<string, number>, values: ReadonlyMap<string, number>): Record<string, Expected> {
  const out: Record<string, Expected> = {}
  for (const v of [...new Set(scored.map(s => s.version))]) {
    const mine = scored.filter(s => s.version === v)
    const lab = mine.filter(s => labels.has(s.id))
    const clamp = (p: number): number => Math.min(Math.max(p, 1e-15), 1 - 1e-15)
    let correct = 0
    let ll = 0
    let br = 0
    for (const s of lab) {
      const y = labels.get(s.id)!
      if ((s.prediction >= 0.5) === (y >= 0.5)) correct++
      ll += -(y * Math.log(clamp(s.prediction)) + (1 - y) * Math.log(1 - clamp(s.prediction)))
      br += (s.prediction - y) ** 2
    }
    const pos = lab.filter(s => labels.get(s.id) === 1)
    const neg = lab.filter(s => labels.get(s.id) === 0)
    let u = 0
    for (const a of pos) for (const b of neg) u += a.prediction > b.prediction ? 1 : a.prediction === b.prediction ? 0.5 : 0
    const vals = mine.map(s => values.get(s.id) ?? 0)
    out[v] = {
      requests: mine.length,
      labelled: lab.length,
      accuracy: correct / lab.length,
      logLoss: ll / lab.length,
      brier: br / lab.length,
      auc: u / (pos.length * neg.length),
      valueMean: vals.reduce((a, b) => a + b, 0) / mine.length,
      valueRate: vals.filter(x => x > 0).length / mine.length
    }
  }
  return out
}

describe('outcomes that are late, out of order, duplicated and unknown', () => {
  it('give per-version metrics equal to the ground truth, and unknown ids are counted as unmatched', async () => {
    const scored = await scoreRequests(gw!.url, N, { idPrefix: 'ex' })
    expect(new Set(scored.map(s => s.version))).toEqual(new Set(['v1', 'v2']))
    const truth = drawLabels(scored, truthModel('v1'), 11)
    const rnd = seeded(5)
    const at = (s: Scored, hours: number): number => Math.round(s.at + hours * HOUR)
    // Labels for 80% of requests, values (revenue of legitimate ones) for 40%.
    const labelled = scored.filter(() => rnd() < 0.8)
    const valued = scored.filter(() => rnd() < 0.4)
    const values = new Map(valued.map(s => [s.id, truth.get(s.id) === 1 ? 0 : Math.round(rnd() * 20000) / 100]))
    const labels = new Map(labelled.map(s => [s.id, truth.get(s.id)!]))
    const labelItem = (s: Scored, y: number, hours: number): object => ({ id: s.id, label: y === 1, at: at(s, hours) })
    const items = labelled.map(s => labelItem(s, labels.get(s.id)!, 2 + 20 * rnd()))
    // Shuffled: outcomes arrive in another order than the requests.
    items.sort(() => rnd() - 0.5)
    const corrected = labelled.slice(0, 20)
    const ghosts = Array.from({ length: 25 }, (_, k) => ({ id: `ghost-${k}`, label: k % 2, at: scored[0]!.at + HOUR }))

    // HTTP, JSON array and NDJSON; the second half again (duplicates); unknown ids.
    const half = Math.floor(items.length / 2)
    expect(await postOutcomes(gw!.url, items.slice(0, half))).toEqual({ status: 200, json: { accepted: half, model: 'fraud' } })
    expect((await postOutcomes(gw!.url, [...items.slice(half), ...ghosts], { ndjson: true })).status).toBe(200)
    expect((await postOutcomes(gw!.url, items.slice(half))).status).toBe(200)
    // A label job writes to the topic directly: wrong labels with an earlier `at`, arriving after the right ones.
    const kafka = kafkaClient(iso!.env.KAFKA_BROKERS.split(','), 'label-job', createLogger('silent'))
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({
      topic: topicName(iso!.prefix, 'outcomes'),
      compression: CompressionTypes.GZIP,
      messages: [
        { key: 'fraud', value: corrected.map(s => JSON.stringify({ id: s.id, label: 1 - labels.get(s.id)!, at: at(s, 1) })).join('\n') },
        { key: null, value: JSON.stringify({ model: 'fraud', id: corrected[0]!.id, label: 1 - labels.get(corrected[0]!.id)!, at: at(corrected[0]!, 1.5) }) }
      ]
    })
    await producer.disconnect()
    // Values: a CSV file through `outcomes load`, and ten through scorer-sdk.
    const bySdk = valued.slice(0, 10)
    const csv = join(dir, 'values.csv')
    await writeFile(csv, `id,value,at\n${valued.slice(10).map(s => `${s.id},${values.get(s.id)},${new Date(at(s, 30)).toISOString()}`).join('\n')}\n`)
    const load = await cli(['outcomes', 'load', csv, '--model', 'fraud', '--url', gw!.url, '--batch', '40', '--progress', 'json'])
    expect(load.code, load.stderr).toBe(0)
    expect(JSON.parse(load.stdout)).toMatchObject({ event: 'done', accepted: valued.length - 10, rejected: 0 })
    const client = new ScorerClient({ baseUrl: gw!.url, model: 'fraud' })
    for (const s of bySdk) expect(await client.reportOutcome(s.id, { value: values.get(s.id)!, at: new Date(at(s, 30)) })).toEqual({ accepted: 1 })
    await client.close()

    await waitForLedger(iso!, N)
    await eventually(async () => {
      expect(await outcomeIds(iso!, 'label')).toBe(labels.size + ghosts.length)
      expect(await outcomeIds(iso!, 'value')).toBe(values.size)
    }, { timeoutMs: 60_000, intervalMs: 500 })

    const now = Math.max(...scored.map(s => s.at)) + 40 * HOUR
    const r = await cli(['report', 'outcomes', 'fraud', '--window', '3d', '--now', String(now), '--json', ...chArgs(iso!)])
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout)
    const want = expected(scored, labels, values)
    const got = Object.fromEntries(report.versions.map((v: { version: string, metrics: Record<string, number> }) => [v.version, v.metrics]))
    for (const v of ['v1', 'v2']) {
      const g = got[v]
      const w = want[v]!
      expect({ v, requests: g.requests, labelled: g.labelled, scored: g.scored, labels: g.labels }).toEqual({ v, requests: w.requests, labelled: w.labelled, scored: w.labelled, labels: 'binary' })
      expect(g.accuracy).toBeCloseTo(w.accuracy, 12)
      expect(g.logLoss).toBeCloseTo(w.logLoss, 9)
      expect(g.brier).toBeCloseTo(w.brier, 12)
      // Predictions are binned to 0.001 for the AUC.
      expect(Math.abs(g.auc - w.auc)).toBeLessThan(0.005)
      expect(g.valueMean).toBeCloseTo(w.valueMean, 9)
      expect(g.valueRate).toBeCloseTo(w.valueRate, 12)
      expect(g.labelDelayS.p50).toBeGreaterThan(2 * 3600 * 0.8)
      expect(g.labelDelayS.p90).toBeLessThan(22 * 3600 * 1.2)
    }
    expect(report.match.label).toEqual({ outcomes: labels.size + ghosts.length, matched: labels.size, unmatched: ghosts.length, rate: labels.size / (labels.size + ghosts.length) })
    expect(report.match.value).toMatchObject({ outcomes: values.size, matched: values.size, unmatched: 0 })
  }, 240_000)
})
