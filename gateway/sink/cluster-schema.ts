/**
 * The cluster form of the schema (`model-gateway migrate --cluster NAME`), derived
 * from the single-server migrations by rewriting each statement, so a table or
 * column added to schema.ts comes along without a second copy of its DDL.
 *
 * - `CREATE TABLE db.t (...) ENGINE = XMergeTree[(args)] ...` becomes a local
 *   table `db.t_local` ON CLUSTER with `ReplicatedXMergeTree('/clickhouse/tables/{shard}/db/t_local', '{replica}'[, args])`
 *   (the 18.16 syntax; {shard} and {replica} are the server's macros), plus
 *   `db.t` ON CLUSTER as `Distributed(cluster, db, t_local, cityHash64(<ORDER BY>))`.
 *   The Distributed table keeps the old name, so the sink, `report` and the
 *   analyst queries read and write it unchanged.
 * - Sharding by a hash of the ORDER BY key (the identity of a row, see schema.ts)
 *   sends a redelivered record or a re-flushed rollup cell to the same shard as
 *   its first copy, so ReplacingMergeTree and FINAL collapse it there exactly as
 *   on one server: FINAL works per shard, and no duplicate spans two shards.
 * - Merges are replicated (one replica merges, the others fetch the result), so
 *   every replica of a shard converges on the same rows and FINAL gives the same
 *   answer on each. Replicated tables also drop an insert block identical to
 *   one already written, which a retried insert is.
 * - `ALTER TABLE db.t <column change>` runs ON CLUSTER on both tables (a
 *   Distributed table needs the column too); other ALTERs on the local table.
 * - Anything else has no derived form and fails with a message naming the
 *   migration, rather than running on one server only.
 */
import type { ClickHouse } from './clickhouse.js'
import { DEFAULT_RETENTION_DAYS, MIGRATIONS, type MigrateResult } from './schema.js'
import { identifier } from './sql.js'

export const LOCAL_SUFFIX = '_local'

/** ZooKeeper path of a replicated table; {shard} and {replica} are server macros. */
export function replicaPath (db: string, table: string): string {
  return `/clickhouse/tables/{shard}/${db}/${table}`
}

export class ClusterDdlError extends Error {}

const CREATE = /^\s*CREATE TABLE IF NOT EXISTS ([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*) \(([\s\S]*)\) ENGINE = ([A-Za-z]*MergeTree)(?:\(([^)]*)\))?(\s[\s\S]*)?$/
const ALTER = /^\s*ALTER TABLE ([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*) ([\s\S]+)$/
const COLUMN_CHANGE = /^(ADD|DROP|MODIFY|RENAME|COMMENT) COLUMN\b/i

/** The ORDER BY expression of a MergeTree table's clauses, without outer parentheses. */
export function orderByKey (clauses: string): string {
  const m = /\bORDER BY\s+(\([^)]*\)|[^\n]+)/.exec(clauses)
  if (m === null) throw new ClusterDdlError('no ORDER BY clause to shard by')
  const key = m[1]!.trim()
  return key.startsWith('(') ? key.slice(1, -1).trim() : key
}

/**
 * Rewrites one single-server statement into its cluster statements, in order.
 * `label` names the migration in errors.
 */
export function clusterStatements (sql: string, cluster: string, label: string): string[] {
  const c = identifier(cluster)
  const create = CREATE.exec(sql)
  if (create !== null) {
    const [, db, table, columns, engine, args, rest = ''] = create as unknown as [string, string, string, string, string, string | undefined, string | undefined]
    if (engine.startsWith('Replicated')) throw new ClusterDdlError(`migration ${label}: ${db}.${table} is already replicated`)
    const local = `${table}${LOCAL_SUFFIX}`
    const engineArgs = [`'${replicaPath(db, local)}'`, "'{replica}'", ...(args === undefined || args.trim() === '' ? [] : [args.trim()])]
    let key: string
    try {
      key = orderByKey(rest)
    } catch (err) {
      throw new ClusterDdlError(`migration ${label}: ${db}.${table}: ${(err as Error).message}`)
    }
    return [
      `CREATE TABLE IF NOT EXISTS ${db}.${local} ON CLUSTER ${c} (${columns}) ENGINE = Replicated${engine}(${engineArgs.join(', ')})${rest}`,
      `CREATE TABLE IF NOT EXISTS ${db}.${table} ON CLUSTER ${c} AS ${db}.${local} ENGINE = Distributed(${c}, ${db}, ${local}, cityHash64(${key}))`
    ]
  }
  const alter = ALTER.exec(sql)
  if (alter !== null) {
    const [, db, table, change] = alter as unknown as [string, string, string, string]
    const local = `ALTER TABLE ${db}.${table}${LOCAL_SUFFIX} ON CLUSTER ${c} ${change}`
    return COLUMN_CHANGE.test(change.trim()) ? [local, `ALTER TABLE ${db}.${table} ON CLUSTER ${c} ${change}`] : [local]
  }
  const head = sql.trim().split(/\s+/).slice(0, 4).join(' ')
  throw new ClusterDdlError(`migration ${label}: no cluster form for "${head} …" (cluster-schema.ts knows CREATE TABLE … MergeTree and ALTER TABLE)`)
}

/** The migrations bookkeeping table, one copy on every server of the cluster (one replica set spanning all shards). */
export function clusterMigrationsTable (db: string, cluster: string): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations ON CLUSTER ${identifier(cluster)} (id UInt32, name String, applied_at DateTime) ` +
    `ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/${db}/schema_migrations', '{replica}') ORDER BY id`
}

/**
 * `migrate --cluster`: the same numbered migrations as migrate(), each run ON
 * CLUSTER in its derived form and recorded once for the whole cluster.
 */
export async function migrateCluster (ch: ClickHouse, cluster: string, retentionDays = DEFAULT_RETENTION_DAYS): Promise<MigrateResult> {
  const f = await ch.features()
  const db = identifier(ch.database)
  await ch.command(`CREATE DATABASE IF NOT EXISTS ${db} ON CLUSTER ${identifier(cluster)}`)
  await ch.command(clusterMigrationsTable(db, cluster))
  const done = new Set((await ch.select<{ id: number }>(`SELECT id FROM ${db}.schema_migrations`)).map(r => Number(r.id)))
  const applied: string[] = []
  const alreadyApplied: string[] = []
  for (const m of MIGRATIONS) {
    if (done.has(m.id)) {
      alreadyApplied.push(m.name)
      continue
    }
    for (const stmt of clusterStatements(m.sql(db, f, retentionDays), cluster, `${m.id} (${m.name})`)) await ch.command(stmt)
    await ch.insert('schema_migrations', [{ id: m.id, name: m.name, applied_at: Math.floor(Date.now() / 1000) }])
    applied.push(m.name)
  }
  return { serverVersion: f.version, applied, alreadyApplied }
}
