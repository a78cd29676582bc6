// Redaction before records leave the gateway: the fraud model drops the
// request parameter customer_email and hashes the features input and the
// fraud_probability output. Every request is sampled with its bodies; the
// recorded bodies in Kafka (read raw from the topic) and in ClickHouse hold
// neither the email nor the feature values nor the probabilities, and the
// hashed fields hold keyed hashes (equal values, equal hashes).
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { kafkaClient, topicName } from '../../gateway/observe/topics.js'
import { createLogger } from '../../gateway/observe/log.js'
import { eventually } from '../support/eventually.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { dropIsolated, isolated, startSink, type Isolated, type SinkProcess } from './pipeline-harness.js'

const EMAIL = 'alice.redaction-test@example.com'
/** Distinctive feature values, so finding one in a body cannot be chance. */
const FEATURES = [731.123457, 200.987651, 7.123461, 265.432109]
const REQUESTS = 8
let iso: Isolated
let sink: SinkProcess
let model: ModelProcess
let gw: GatewayProcess
const idPrefix = `redact-${randomBytes(4).toString('hex')}`
const probabilities: string[] = []

beforeAll(async () => {
  iso = await isolated('redact')
  sink = await startSink(iso)
  model = await startModel({ version: 'v1' })
  gw = await startGatewayProcess({
    logging: { sink: 'kafka', kafkaBrokers: iso.env.KAFKA_BROKERS.split(','), topicPrefix: iso.prefix, flushIntervalMs: 100, rollupFlushMs: 500, hashKey: 'redaction-test-hash-key-0123456789' },
    models: {
      fraud: {
        versions: { v1: { replicas: [model.url] } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { enabled: false },
        sampling: { rate: 1, captureBodies: true, maxBodyBytes: 4096 },
        redact: { drop: ['customer_email'], hash: ['features', 'fraud_probability'] }
      }
    }
  })
  for (let i = 0; i < REQUESTS; i++) {
    const res = await fetch(`${gw.url}/v2/models/fraud/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': `${idPrefix}-${i}` },
      body: JSON.stringify({ parameters: { customer_email: EMAIL, channel: 'web' }, inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: FEATURES }] })
    })
    expect(res.status).toBe(200)
    const body = await res.json() as { outputs: Array<{ data: number[] }> }
    probabilities.push(String(body.outputs[0]!.data[0]))
  }
})
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
  await sink?.stop()
  await dropIsolated(iso)
})

/** What a body must not hold: the email, any feature value, any probability the client got. */
function leaks (text: string): string[] {
  return [EMAIL, ...FEATURES.map(String), ...probabilities].filter(s => text.includes(s))
}

describe('redacted fields', () => {
  it('never reach Kafka: the raw records topic holds the requests without the email, features or probabilities', async () => {
    const kafka = kafkaClient(iso.env.KAFKA_BROKERS.split(','), 'redaction-test', createLogger('silent'))
    const consumer = kafka.consumer({ groupId: `redact-${randomBytes(4).toString('hex')}`, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 500 })
    const values: string[] = []
    await consumer.connect()
    try {
      await consumer.subscribe({ topic: topicName(iso.prefix, 'records'), fromBeginning: true })
      // A message holds consecutive rows of one key, one per line (observe/kafka-producer.ts).
      await consumer.run({ eachMessage: async ({ message }) => { values.push(...(message.value?.toString('utf8') ?? '').split('\n')) } })
      await eventually(() => { expect(values.filter(v => v.includes(idPrefix)).length).toBe(REQUESTS) }, { timeoutMs: 60_000, intervalMs: 200 })
    } finally {
      await consumer.disconnect()
    }
    const ours = values.filter(v => v.includes(idPrefix))
    expect(ours.flatMap(leaks)).toEqual([])
    const record = JSON.parse(ours[0]!) as { request_body: string, response_body: string }
    expect(JSON.parse(record.request_body)).toMatchObject({ parameters: { channel: 'web' }, inputs: [{ name: 'features', data: [expect.stringMatching(/^[0-9a-f]{16}$/), expect.any(String), expect.any(String), expect.any(String)] }] })
    expect(record.request_body).not.toContain('customer_email')
  }, 120_000)

  it('never reach ClickHouse: every stored record of the requests holds hashes in their place, the same hash for the same value', async () => {
    const rows = await eventually(async () => {
      const r = await iso.ch.select<{ request_body: string, response_body: string }>(`SELECT request_body, response_body FROM ${iso.db}.records FINAL WHERE startsWith(request_id, {p:String})`, { p: idPrefix })
      expect(r.length).toBe(REQUESTS)
      return r
    }, { timeoutMs: 60_000, intervalMs: 500 })
    expect(rows.flatMap(r => leaks(r.request_body + r.response_body))).toEqual([])
    const hashed = rows.map(r => (JSON.parse(r.request_body) as { inputs: Array<{ data: string[] }> }).inputs[0]!.data)
    expect(new Set(hashed.map(h => h.join(','))).size).toBe(1)
    const outputs = rows.map(r => (JSON.parse(r.response_body) as { outputs: Array<{ name: string, data: string[] }> }).outputs[0]!)
    expect(outputs[0]!.name).toBe('fraud_probability')
    expect(outputs[0]!.data[0]).toMatch(/^[0-9a-f]{16}$/)
  }, 90_000)
})
