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
 * - `ALTER TABLE db.t <clauses>` runs ON CLUSTER on the local table. When it
 *   changes columns, the Distributed table is dropped and created again AS the
 *   local one, on every server: 18.16 refuses an ALTER ON CLUSTER of a table
 *   that is not replicated on a cluster whose shards are ("Table records isn't
 *   replicated, but shard #1 is replicated"). For that moment inserts fail
 *   and the sink retries them (offsets are committed only after an insert).
 *   The sharding key stays the ORDER BY of the CREATE: when a migration appends
 *   a column to the ORDER BY (rollups gained `traffic`), the old key is a
 *   subset of the new identity, so copies of a row still share a shard.
 * - Anything else has no derived form and fails with a message naming the
 *   migration, rather than running on one server only.
 */
import { ClickHouse } from './clickhouse.js'
import { DEFAULT_RETENTION_DAYS, MIGRATIONS, type MigrateResult } from './schema.js'
import { identifier } from './sql.js'

export const LOCAL_SUFFIX = '_local'

/** ZooKeeper path of a replicated table; {shard} and {replica} are server macros. */
export function replicaPath (db: string, table: string): string {
  return `/clickhouse/tables/{shard}/${db}/${table}`
}

export class ClusterDdlError extends Error {}

const CREATE = /^\s*CREATE TABLE IF NOT EXISTS ([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*) \(([\s\S]*)\) ENGINE = ([A-Za-z]*MergeTree)(?:\(([^)]*)\))?(\s[\s\S]*)?$/
const ALTER = /^\s*ALTER TABLE ([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s+([\s\S]+)$/
const COLUMN_CHANGE = /^(ADD|DROP|MODIFY|RENAME|COMMENT) COLUMN\b/i

/** The clauses of an ALTER, split at commas outside parentheses and quotes. */
export function alterClauses (change: string): string[] {
  const out: string[] = []
  let depth = 0
  let quote = ''
  let start = 0
  for (let i = 0; i < change.length; i++) {
    const ch = change[i]!
    if (quote !== '') {
      if (ch === '\\') i++
      else if (ch === quote) quote = ''
    } else if (ch === "'" || ch === '`' || ch === '"') quote = ch
    else if (ch === '(') depth++
    else if (ch === ')') depth--
    else if (ch === ',' && depth === 0) {
      out.push(change.slice(start, i).trim())
      start = i + 1
    }
  }
  out.push(change.slice(start).trim())
  return out.filter(c => c !== '')
}

function distributed (db: string, table: string, cluster: string, key: string): string {
  const local = `${table}${LOCAL_SUFFIX}`
  return `CREATE TABLE IF NOT EXISTS ${db}.${table} ON CLUSTER ${cluster} AS ${db}.${local} ENGINE = Distributed(${cluster}, ${db}, ${local}, cityHash64(${key}))`
}

/** The sharding key of each table: the ORDER BY of the migration that creates it. */
export function shardingKeys (statements: readonly string[]): Map<string, string> {
  const keys = new Map<string, string>()
  for (const sql of statements) {
    const m = CREATE.exec(sql)
    if (m !== null) keys.set(m[2]!, orderByKey(m[6] ?? ''))
  }
  return keys
}

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
export function clusterStatements (sql: string, cluster: string, label: string, keyOf: (table: string) => string = () => { throw new ClusterDdlError(`migration ${label}: no CREATE TABLE to take the sharding key from`) }): string[] {
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
      distributed(db, table, c, key)
    ]
  }
  const alter = ALTER.exec(sql)
  if (alter !== null) {
    const [, db, table, change] = alter as unknown as [string, string, string, string]
    const clauses = alterClauses(change)
    const columns = clauses.filter(cl => COLUMN_CHANGE.test(cl))
    const local = `ALTER TABLE ${db}.${table}${LOCAL_SUFFIX} ON CLUSTER ${c} ${clauses.join(', ')}`
    return columns.length === 0 ? [local] : [local, `DROP TABLE IF EXISTS ${db}.${table} ON CLUSTER ${c}`, distributed(db, table, c, keyOf(table))]
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
/**
 * ClickHouse 18.x answers "Unsupported type of ALTER query" to MODIFY ORDER BY
 * ON CLUSTER (its distributed DDL takes only column and partition ALTERs on
 * replicated tables). Such an ALTER runs instead without ON CLUSTER on one
 * server of each shard (`shardUrls`); ZooKeeper carries it to that shard's
 * other replicas, as it does any ALTER of a replicated table.
 */
function perShard (stmt: string, version: string): boolean {
  return Number.parseInt(version, 10) < 19 && /^ALTER TABLE /.test(stmt) && /\bMODIFY ORDER BY\b/.test(stmt)
}

export async function migrateCluster (ch: ClickHouse, cluster: string, retentionDays = DEFAULT_RETENTION_DAYS, shardUrls: readonly string[] = []): Promise<MigrateResult> {
  const f = await ch.features()
  const db = identifier(ch.database)
  await ch.command(`CREATE DATABASE IF NOT EXISTS ${db} ON CLUSTER ${identifier(cluster)}`)
  await ch.command(clusterMigrationsTable(db, cluster))
  const done = new Set((await ch.select<{ id: number }>(`SELECT id FROM ${db}.schema_migrations`)).map(r => Number(r.id)))
  const applied: string[] = []
  const alreadyApplied: string[] = []
  const keys = shardingKeys(MIGRATIONS.map(m => m.sql(db, f, retentionDays)))
  const keyOf = (table: string): string => {
    const k = keys.get(table)
    if (k === undefined) throw new ClusterDdlError(`no migration creates ${db}.${table}, so it has no sharding key`)
    return k
  }
  for (const m of MIGRATIONS) {
    if (done.has(m.id)) {
      alreadyApplied.push(m.name)
      continue
    }
    for (const stmt of clusterStatements(m.sql(db, f, retentionDays), cluster, `${m.id} (${m.name})`, keyOf)) {
      if (!perShard(stmt, f.version)) {
        await ch.command(stmt)
        continue
      }
      if (shardUrls.length === 0) throw new ClusterDdlError(`migration ${m.id} (${m.name}): ClickHouse ${f.version} cannot run MODIFY ORDER BY ON CLUSTER; give one server per shard with --shard-urls URL,URL,…`)
      const local = stmt.replace(` ON CLUSTER ${identifier(cluster)} `, ' ')
      for (const url of shardUrls) {
        const shard = new ClickHouse({ url, database: db })
        try {
          await shard.command(local)
        } finally {
          await shard.close()
        }
      }
    }
    await ch.insert('schema_migrations', [{ id: m.id, name: m.name, applied_at: Math.floor(Date.now() / 1000) }])
    applied.push(m.name)
  }
  return { serverVersion: f.version, applied, alreadyApplied }
}
