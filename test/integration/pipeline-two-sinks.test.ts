// Two sink processes in one consumer group share topics of several partitions
// (as two sink pods of the Deployment do): both take partitions, and every
// record and every rollup lands exactly once.
import { AssignerProtocol } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_TOPIC_PARTITIONS, kafkaClient, topicName } from '../../gateway/observe/topics.js'
import { createLogger } from '../../gateway/observe/log.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { dropIsolated, gatewayConfig, isolated, load, recordCounts, recordRowsFinal, rollupTotals, startSink, sum, waitFor, type Isolated, type SinkProcess } from './pipeline-harness.js'

const N = 600
let iso: Isolated
const models: ModelProcess[] = []
const sinks: SinkProcess[] = []
let gateway: GatewayProcess | undefined
let served: Record<string, number> = {}
let assigned: string[][] = []

interface MemberAssignment { memberId: string, partitions: number[] }

/** Partitions of the records topic held by each member of the group, from the broker. */
async function assignments (group: string): Promise<MemberAssignment[]> {
  const admin = kafkaClient(iso.env.KAFKA_BROKERS.split(','), 'two-sinks-test', createLogger('silent')).admin()
  await admin.connect()
  try {
    const { groups } = await admin.describeGroups([group])
    return (groups[0]?.members ?? []).map(m => {
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)
      return { memberId: m.memberId, partitions: a?.assignment[topicName(iso.prefix, 'records')] ?? [] }
    })
  } finally {
    await admin.disconnect()
  }
}

beforeAll(async () => {
  iso = await isolated('two_sinks')
  const group = `g-${iso.prefix}`
  models.push(await startModel({ version: 'v1' }), await startModel({ version: 'v2' }))
  sinks.push(await startSink(iso, group), await startSink(iso, group))
  const members = await waitFor('both sinks holding records partitions', () => assignments(group), m => m.length === 2 && m.every(x => x.partitions.length > 0), 45_000)
  assigned = members.map(m => m.partitions.map(String))
  gateway = await startGatewayProcess(gatewayConfig({ iso, v1: [models[0]!.url], v2: [models[1]!.url] }))
  const r = await load(gateway.url, N, { concurrency: 8 })
  if (r.failed !== 0 || r.sent !== N) throw new Error(`load: ${r.failed} failed, ${r.sent} sent`)
  served = Object.fromEntries(Object.entries(r.versions).sort())
  await waitFor('all records', () => recordCounts(iso), c => sum(c) >= N, 60_000)
  await waitFor('all rollups', () => rollupTotals(iso), c => sum(c) >= N, 60_000)
}, 240_000)

afterAll(async () => {
  await gateway?.stop()
  await Promise.allSettled(sinks.map(s => s.stop()))
  await Promise.allSettled(models.map(m => m.stop()))
  await dropIsolated(iso)
}, 60_000)

describe('two sinks in one consumer group', () => {
  it(`split the ${DEFAULT_TOPIC_PARTITIONS} partitions of the records topic between them`, () => {
    expect(assigned).toHaveLength(2)
    expect(assigned.flat().sort()).toEqual(Array.from({ length: DEFAULT_TOPIC_PARTITIONS }, (_, i) => String(i)))
  })

  it('store every record exactly once', async () => {
    expect(await recordCounts(iso)).toEqual(served)
    expect(await recordRowsFinal(iso)).toBe(N)
  })

  it('store rollups whose totals equal the requests served', async () => {
    expect(await rollupTotals(iso)).toEqual(served)
  })
})
