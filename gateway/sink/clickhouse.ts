/**
 * A small wrapper over @clickhouse/client that knows which server it talks to.
 * The server version is read once (SELECT version()) and decides the SQL
 * features used: query parameters, TTL and LowCardinality exist only on newer
 * servers, so 18.16 gets inlined literals, no TTL and plain String columns.
 */
import { Readable } from 'node:stream'
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client'
import { checkParams, identifier, inlineParams, type ParamValue } from './sql.js'
import { addressOf, readTlsFiles, type TlsFiles } from '../config/connections.js'

export interface ServerFeatures {
  version: string
  /** `{name:Type}` parameters bound by the server (19.11+; 18.16 answers "Unknown setting param_x"). */
  queryParams: boolean
  /** TTL clause on MergeTree tables (19.6+). */
  ttl: boolean
  /** LowCardinality(String) without the experimental setting (19.9+ to be safe; 18.16 needs a setting). */
  lowCardinality: boolean
}

export function featuresOf (version: string): ServerFeatures {
  const [major = 0, minor = 0] = version.split('.').map(n => Number.parseInt(n, 10))
  const atLeast = (ma: number, mi: number): boolean => major > ma || (major === ma && minor >= mi)
  return { version, queryParams: atLeast(19, 11), ttl: atLeast(19, 6), lowCardinality: atLeast(19, 9) }
}

export interface ClickHouseOptions {
  url: string
  database: string
  username?: string
  password?: string
  /** For an https URL: a private CA and/or a client certificate. */
  tls?: TlsFiles | null
  /** Per-request timeout; inserts retried by the caller. */
  requestTimeoutMs?: number
}

export const DEFAULT_DATABASE = 'model_gateway'

export class ClickHouse {
  readonly client: ClickHouseClient
  readonly database: string
  /** scheme://host:port, for messages (never credentials). */
  readonly address: string
  readonly username: string
  #features: ServerFeatures | null = null

  constructor (opts: ClickHouseOptions) {
    this.database = identifier(opts.database)
    this.address = addressOf(opts.url)
    this.username = opts.username ?? 'default'
    this.client = createClient({
      url: opts.url,
      username: this.username,
      password: opts.password ?? '',
      ...tlsOptions(opts.tls),
      request_timeout: opts.requestTimeoutMs ?? 30_000,
      compression: { request: false, response: false },
      // Below the server's keep-alive timeout (3 s on a default 18.16), so a reused socket is never one the server closed.
      keep_alive: { enabled: true, idle_socket_ttl: 2_000 },
      // Failures reach the caller as errors, which log them (rate-limited where they repeat).
      log: { level: ClickHouseLogLevel.OFF }
    })
  }

  async features (): Promise<ServerFeatures> {
    if (this.#features !== null) return this.#features
    const rs = await this.client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })
    const rows = await rs.json<{ v: string }>()
    this.#features = featuresOf(rows[0]!.v)
    return this.#features
  }

  /** Runs a SELECT with `{name:Type}` placeholders bound safely for this server; returns JSONEachRow rows. */
  async select<T> (sql: string, params: Record<string, ParamValue> = {}): Promise<T[]> {
    const f = await this.features()
    let query = sql
    let queryParams: Record<string, ParamValue> | undefined
    if (f.queryParams) {
      checkParams(sql, params)
      queryParams = params
    } else {
      query = inlineParams(sql, params)
    }
    const rs = await this.client.query({ query, format: 'JSONEachRow', query_params: queryParams })
    return await rs.json<T>()
  }

  async command (sql: string): Promise<void> {
    await this.client.command({ query: sql })
  }

  async insert (table: string, rows: readonly object[]): Promise<void> {
    if (rows.length === 0) return
    await this.client.insert({
      table: `${this.database}.${identifier(table)}`,
      values: rows as object[],
      format: 'JSONEachRow',
      // Rows written by a newer gateway may carry columns this schema lacks yet.
      // On a cluster (migrate --cluster) the table is Distributed: answer only
      // once every shard stored its part, so the sink commits Kafka offsets for
      // rows that are on their shards, not queued on this server (no effect on
      // a plain MergeTree table; the setting exists on 18.16).
      clickhouse_settings: { input_format_skip_unknown_fields: 1, insert_distributed_sync: 1 }
    })
  }

  /**
   * Inserts rows already in RowBinary (the assignment ledger's segments, passed
   * through as the gateway wrote them). Same settings as insert().
   */
  async insertRowBinary (table: string, columns: readonly string[], segments: readonly Buffer[]): Promise<void> {
    if (segments.length === 0) return
    const r = await this.client.exec({
      query: `INSERT INTO ${this.database}.${identifier(table)} (${columns.map(c => identifier(c)).join(', ')}) FORMAT RowBinary`,
      values: Readable.from(segments),
      clickhouse_settings: { insert_distributed_sync: 1 }
    })
    // The answer is empty; read it to the end so the socket goes back to the pool.
    await new Promise<void>((resolve, reject) => { r.stream.on('end', resolve).on('error', reject).resume() })
  }

  async ping (): Promise<boolean> {
    const r = await this.client.ping()
    return r.success
  }

  async close (): Promise<void> {
    await this.client.close()
  }

  /** One line naming ClickHouse, its address and what to check; never the password. */
  describe (err: unknown): string {
    const msg = ((err as Error)?.message ?? String(err)).split('\n')[0]!.replace(/, e\.what\(\) = DB::Exception$/, '')
    if (isClickHouseAuthError(err)) return `ClickHouse at ${this.address} refused the credentials of user "${this.username}" (${msg}); check CLICKHOUSE_USER / CLICKHOUSE_PASSWORD`
    if (/certificate|self[- ]signed|SSL|TLS|EPROTO|wrong version number/i.test(msg)) return `ClickHouse at ${this.address}: TLS failed (${msg}); check the URL's scheme and CLICKHOUSE_TLS_CA_FILE`
    return `ClickHouse at ${this.address}: ${msg}`
  }
}

/** Wrong password (193), unknown user (192), or AUTHENTICATION_FAILED (516) on newer servers. */
export function isClickHouseAuthError (err: unknown): boolean {
  const e = err as { code?: unknown, type?: unknown, message?: unknown } | null
  if (e === null || typeof e !== 'object') return false
  if (e.type === 'AUTHENTICATION_FAILED' || ['192', '193', '516'].includes(String(e.code))) return true
  return typeof e.message === 'string' && /Code: (192|193|516)\b|Wrong password for user|Unknown user|Authentication failed/i.test(e.message)
}

function tlsOptions (tls: TlsFiles | null | undefined): { tls?: { ca_cert: Buffer } | { ca_cert: Buffer, cert: Buffer, key: Buffer } } {
  if (tls === null || tls === undefined) return {}
  const pem = readTlsFiles(tls, 'ClickHouse')
  // The client's TLS options need a CA; without one, an https URL uses the system's CAs.
  if (pem.ca === undefined) return {}
  return pem.cert !== undefined && pem.key !== undefined ? { tls: { ca_cert: pem.ca, cert: pem.cert, key: pem.key } } : { tls: { ca_cert: pem.ca } }
}
