import { randomBytes } from 'node:crypto'
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceEnv } from '../../scripts/services/control.js'

describe('services: ClickHouse', () => {
  const { CLICKHOUSE_URL } = serviceEnv()
  const table = `services_test_${randomBytes(6).toString('hex')}`
  let client: ClickHouseClient

  beforeAll(() => {
    client = createClient({
      url: CLICKHOUSE_URL,
      compression: { request: false, response: false },
      log: { level: ClickHouseLogLevel.WARN }
    })
  })

  afterAll(async () => {
    await client.command({ query: `DROP TABLE IF EXISTS ${table}` })
    await client.close()
  })

  it('answers SELECT 1', async () => {
    const rows = await (await client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' })).json<{ one: number }>()
    expect(rows).toEqual([{ one: 1 }])
  })

  it('creates a MergeTree table, inserts JSONEachRow rows and reads them back', async () => {
    await client.command({
      query: `CREATE TABLE ${table} (id UInt32, model String, latency_ms Float64, ts DateTime) ENGINE = MergeTree ORDER BY (model, id)`
    })
    const rows = Array.from({ length: 500 }, (_, i) => ({
      id: i,
      model: `m${i % 3}`,
      latency_ms: i / 4,
      ts: '2024-05-01 12:00:00'
    }))
    await client.insert({ table, values: rows, format: 'JSONEachRow' })

    const back = await (
      await client.query({ query: `SELECT id, model, latency_ms, ts FROM ${table} ORDER BY id`, format: 'JSONEachRow' })
    ).json<{ id: number; model: string; latency_ms: number; ts: string }>()
    expect(back).toEqual(rows)

    const agg = await (
      await client.query({ query: `SELECT model, count() AS n FROM ${table} GROUP BY model ORDER BY model`, format: 'JSONEachRow' })
    ).json<{ model: string; n: string }>()
    // UInt64 comes back quoted in JSON formats.
    expect(agg).toEqual([
      { model: 'm0', n: '167' },
      { model: 'm1', n: '167' },
      { model: 'm2', n: '166' }
    ])
  })
})
