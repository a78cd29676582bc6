import { describe, expect, it } from 'vitest'
import { ClusterDdlError, clusterStatements, shardingKeys } from '../../gateway/sink/cluster-schema.js'
import { MIGRATIONS } from '../../gateway/sink/schema.js'
import { featuresOf } from '../../gateway/sink/clickhouse.js'

// The cluster DDL is derived from the single-server migrations, so every
// migration must have a derived form, on old and new servers alike.

describe('cluster DDL derived from the single-server migrations', () => {
  it.each(MIGRATIONS.flatMap(m => ['18.16.1', '24.8.1.1'].map(v => [m.id, m.name, v, m] as const)))('migration %i (%s) on %s has a cluster form', (_id, _name, version, m) => {
    const keys = shardingKeys(MIGRATIONS.map(x => x.sql('db', featuresOf(version), 30)))
    const out = clusterStatements(m.sql('db', featuresOf(version), 30), 'mg', m.name, (t) => keys.get(t)!)
    expect(out.length).toBeGreaterThan(0)
    for (const s of out) expect(s).toMatch(/ ON CLUSTER mg( |$)/)
  })

  it('turns ReplacingMergeTree(flush_seq) into a replicated local table and a Distributed table sharded by the ORDER BY key', () => {
    const sql = 'CREATE TABLE IF NOT EXISTS db.t (a String, n Array(UInt64), v UInt64) ENGINE = ReplacingMergeTree(v)\nPARTITION BY a\nORDER BY (a, v)'
    expect(clusterStatements(sql, 'mg', '9 (t)')).toEqual([
      "CREATE TABLE IF NOT EXISTS db.t_local ON CLUSTER mg (a String, n Array(UInt64), v UInt64) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/t_local', '{replica}', v)\nPARTITION BY a\nORDER BY (a, v)",
      'CREATE TABLE IF NOT EXISTS db.t ON CLUSTER mg AS db.t_local ENGINE = Distributed(mg, db, t_local, cityHash64(a, v))'
    ])
  })

  it('runs a column change on the local table and recreates the Distributed table with the same sharding key; other ALTERs on the local table only', () => {
    expect(clusterStatements('ALTER TABLE db.records ADD COLUMN traffic String', 'mg', '4', () => 'model, request_id')).toEqual([
      'ALTER TABLE db.records_local ON CLUSTER mg ADD COLUMN traffic String',
      'DROP TABLE IF EXISTS db.records ON CLUSTER mg',
      'CREATE TABLE IF NOT EXISTS db.records ON CLUSTER mg AS db.records_local ENGINE = Distributed(mg, db, records_local, cityHash64(model, request_id))'
    ])
    expect(clusterStatements('ALTER TABLE db.records DELETE WHERE 1', 'mg', '5')).toEqual(['ALTER TABLE db.records_local ON CLUSTER mg DELETE WHERE 1'])
  })

  it('keeps every clause of a multi-clause ALTER on the local table, commas inside parentheses and quotes included', () => {
    const sql = "ALTER TABLE db.rollups\n  ADD COLUMN traffic String DEFAULT 'a,b',\n  MODIFY ORDER BY (model, minute, traffic)"
    expect(clusterStatements(sql, 'mg', '6', () => 'model, minute')[0]).toBe(
      "ALTER TABLE db.rollups_local ON CLUSTER mg ADD COLUMN traffic String DEFAULT 'a,b', MODIFY ORDER BY (model, minute, traffic)")
  })

  it('takes each table\'s sharding key from the ORDER BY of the migration that creates it', () => {
    const keys = shardingKeys(MIGRATIONS.map(m => m.sql('db', featuresOf('18.16.1'), 0)))
    expect(keys.get('rollups')).toBe('model, version, minute, instance_id, run_id, status_class')
    expect(keys.get('records')).toBe('model, version, time, request_id')
  })

  it('refuses a statement it has no cluster form for, naming the migration', () => {
    expect(() => clusterStatements('CREATE MATERIALIZED VIEW db.v AS SELECT 1', 'mg', '7 (v)')).toThrow(ClusterDdlError)
    expect(() => clusterStatements('CREATE MATERIALIZED VIEW db.v AS SELECT 1', 'mg', '7 (v)')).toThrow('migration 7 (v): no cluster form for "CREATE MATERIALIZED VIEW db.v …"')
  })
})
