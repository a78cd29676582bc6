// `migrate --cluster` on two ClickHouse servers (two shards) and a ZooKeeper, all
// on loopback and started by this test (scripts/services/cluster.ts). One gateway
// logs to Kafka; two sinks in different consumer groups read the same topics, one
// into a single server (the main services' ClickHouse), one into the cluster's
// Distributed tables. Each record lands exactly once in the cluster, and every
// analyst query gives the same answer through the Distributed tables as on the
// single server.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clusterDown, clusterUp, type ClusterEnv } from '../../scripts/services/cluster.js'
import { ClickHouse, featuresOf } from '../../gateway/sink/clickhouse.js'
import { MIGRATIONS } from '../../gateway/sink/schema.js'
import { shardingKeys } from '../../gateway/sink/cluster-schema.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { CLI, REPO, dropIsolated, gatewayConfig, isolated, load, recordCounts, recordRowsFinal, rollupTotals, startSink, sum, waitFor, type Isolated, type SinkProcess } from './pipeline-harness.js'

const N = 400
let cluster: ClusterEnv
let single: Isolated
let onCluster: Isolated
const nodes: ClickHouse[] = []
const models: ModelProcess[] = []
const sinks: SinkProcess[] = []
let gateway: GatewayProcess | undefined
let served: Record<string, number> = {}
let migrateOutput = ''

beforeAll(async () => {
  cluster = await clusterUp()
  single = await isolated('cluster_ref')
  const db = `pt_cl_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
  // The command operators run, against the first server.
  const r = spawnSync(process.execPath, [CLI, 'migrate', '--clickhouse', cluster.clickhouse[0]!, '--database', db, '--cluster', cluster.cluster, '--shard-urls', cluster.clickhouse.join(','), '--retention-days', '0'], { encoding: 'utf8', timeout: 120_000 })
  migrateOutput = `${r.stdout}${r.stderr}`
  if (r.status !== 0) throw new Error(`migrate --cluster failed (${r.status}): ${migrateOutput}`)
  for (const url of cluster.clickhouse) nodes.push(new ClickHouse({ url, database: db }))
  onCluster = { db, prefix: single.prefix, ch: nodes[1]!, env: { ...single.env, CLICKHOUSE_URL: cluster.clickhouse[0]! } }

  models.push(await startModel({ version: 'v1' }), await startModel({ version: 'v2' }))
  sinks.push(await startSink(single, `g-${single.prefix}-single`), await startSink(onCluster, `g-${single.prefix}-cluster`))
  gateway = await startGatewayProcess(gatewayConfig({ iso: single, v1: [models[0]!.url], v2: [models[1]!.url] }))
  const res = await load(gateway.url, N, { concurrency: 8 })
  if (res.failed !== 0 || res.sent !== N) throw new Error(`load: ${res.failed} failed, ${res.sent} sent`)
  served = Object.fromEntries(Object.entries(res.versions).sort())
  await waitFor('records on the single server', () => recordCounts(single), c => sum(c) >= N, 60_000)
  await waitFor('records in the cluster', () => recordCounts(onCluster), c => sum(c) >= N, 60_000)
  await waitFor('rollups on the single server', () => rollupTotals(single), c => sum(c) >= N, 60_000)
  await waitFor('rollups in the cluster', () => rollupTotals(onCluster), c => sum(c) >= N, 60_000)
}, 300_000)

afterAll(async () => {
  await gateway?.stop()
  await Promise.allSettled(sinks.map(s => s.stop()))
  await Promise.allSettled(models.map(m => m.stop()))
  await dropIsolated(single)
  await Promise.allSettled(nodes.map(n => n.close()))
  await clusterDown()
}, 60_000)

async function localCount (node: ClickHouse, table: string): Promise<number> {
  const rows = await node.select<{ n: string }>(`SELECT count() AS n FROM ${node.database}.${table}_local`)
  return Number(rows[0]!.n)
}

async function namedQueries (db: string): Promise<Map<string, string>> {
  const text = await readFile(join(REPO, 'config', 'clickhouse', 'queries.sql'), 'utf8')
  const out = new Map<string, string>()
  for (const block of text.split(/^-- name: /m).slice(1)) {
    const [name, ...rest] = block.split('\n')
    out.set(name!.trim(), rest.filter(l => !l.startsWith('--')).join('\n').trim().replace(/;$/, '').replaceAll('model_gateway.', `${db}.`))
  }
  return out
}

describe('scoring logs on a two-shard ClickHouse cluster', () => {
  it('migrate --cluster creates a replicated local table and a Distributed table per table on both servers', async () => {
    expect(migrateOutput).toContain(`on cluster mg; applied ${MIGRATIONS.map(m => m.name).join(', ')}`)
    const created = [...shardingKeys(MIGRATIONS.map(m => m.sql('db', featuresOf('18.16.1'), 0))).keys()]
    const expected = [...created.flatMap(t => [`${t}:Distributed`, `${t}_local:ReplicatedReplacingMergeTree`]), 'schema_migrations:ReplicatedMergeTree'].sort()
    for (const node of nodes) {
      const rows = await node.select<{ name: string, engine: string }>(`SELECT name, engine FROM system.tables WHERE database = '${node.database}' ORDER BY name`)
      expect(rows.map(r => `${r.name}:${r.engine}`).sort()).toEqual(expected)
    }
  })

  it('every record the sink inserted is stored on exactly one shard, once', async () => {
    expect(await recordCounts(onCluster)).toEqual(served)
    expect(await recordRowsFinal(onCluster)).toBe(N)
    const perShard = await Promise.all(nodes.map(n => localCount(n, 'records')))
    expect(perShard.every(n => n > 0)).toBe(true)
    expect(sum(Object.fromEntries(perShard.map((n, i) => [i, n])))).toBe(N)
  })

  it('rollup totals through the Distributed table equal the requests served', async () => {
    expect(await rollupTotals(onCluster)).toEqual(served)
  })

  it('a redelivered batch goes to the shards of its first copy and collapses there with FINAL', async () => {
    const rows = await nodes[0]!.select<Record<string, unknown>>(`SELECT * FROM ${onCluster.db}.records LIMIT 50`)
    await nodes[0]!.insert('records', rows)
    expect(await recordRowsFinal(onCluster)).toBe(N)
    expect(await recordCounts(onCluster)).toEqual(served)
  })

  it('every analyst query answers the same through the Distributed tables as on one server', async () => {
    const since = Math.floor(Date.now() / 1000) - 3600
    const onOne = await namedQueries(single.db)
    const onMany = await namedQueries(onCluster.db)
    expect(onOne.size).toBeGreaterThanOrEqual(8)
    for (const [name, sql] of onOne) {
      const a = await single.ch.select(sql, { model: 'fraud', since })
      const b = await nodes[1]!.select(onMany.get(name)!, { model: 'fraud', since })
      expect({ name, rows: b }).toEqual({ name, rows: a })
    }
  })
})
