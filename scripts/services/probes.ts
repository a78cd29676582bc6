// One real request per service: "is it answering?"
import { ClickHouseLogLevel, createClient } from '@clickhouse/client'
import { Redis } from 'ioredis'
import { Kafka, logLevel } from 'kafkajs'
import type { ServiceName } from './paths.js'

/**
 * @clickhouse/client options used against the ClickHouse 18.16 server. Client
 * 1.23 works there with its defaults too (see NOTES.md); compression is off so
 * probe failures are never about codecs.
 */
export const CLICKHOUSE_18_CLIENT_OPTIONS = {
  compression: { request: false, response: false }
} as const

export async function probeRedis(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    const pong = await redis.ping()
    if (pong !== 'PONG') throw new Error(`unexpected PING reply ${pong}`)
  } finally {
    redis.disconnect()
  }
}

export async function probeClickhouse(url: string): Promise<void> {
  const client = createClient({ url, request_timeout: 3000, log: { level: ClickHouseLogLevel.OFF }, ...CLICKHOUSE_18_CLIENT_OPTIONS })
  try {
    const rs = await client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' })
    const rows = await rs.json<{ one: number | string }>()
    if (rows.length !== 1 || Number(rows[0]?.one) !== 1) throw new Error(`unexpected SELECT 1 result ${JSON.stringify(rows)}`)
  } finally {
    await client.close()
  }
}

export async function probeKafka(brokers: string): Promise<void> {
  const kafka = new Kafka({
    clientId: 'services-probe',
    brokers: brokers.split(',').map((b) => b.trim()).filter(Boolean),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 3000,
    retry: { retries: 0 }
  })
  const admin = kafka.admin()
  try {
    await admin.connect()
    const cluster = await admin.describeCluster()
    if (cluster.brokers.length === 0) throw new Error('no brokers in cluster metadata')
    if (cluster.controller === null || cluster.controller < 0) throw new Error('no active controller yet')
    // Ask for a group coordinator: the broker creates __consumer_offsets on the
    // first such request, and a consumer group cannot join until it is loaded.
    // Doing it here keeps the first consumer of a test from crash-restarting.
    await admin.describeGroups(['services-probe-warmup'])
  } finally {
    await admin.disconnect().catch(() => {})
  }
}

export function probe(name: ServiceName, url: string): Promise<void> {
  switch (name) {
    case 'redis':
      return probeRedis(url)
    case 'kafka':
      return probeKafka(url)
    case 'clickhouse':
      return probeClickhouse(url)
  }
}
