/**
 * Reads the control log back from ClickHouse's `control_log` (written by the
 * sink from the `<prefix>.control` topic, like every scoring-log table). FINAL
 * collapses rows Kafka delivered twice.
 */
import { ClickHouse } from '../sink/clickhouse.js'
import type { ControlRow } from '../observe/control-row.js'
import type { TlsFiles } from '../config/connections.js'
import type { ControlLogReader, ControlQuery } from './control-log.js'

export interface ClickHouseReaderOptions {
  url: string
  database: string
  username?: string | undefined
  password?: string | undefined
  tls?: TlsFiles | null | undefined
}

export class ControlLogClickHouse implements ControlLogReader {
  readonly name: string
  readonly #ch: ClickHouse

  constructor (o: ClickHouseReaderOptions) {
    this.#ch = new ClickHouse({ url: o.url, database: o.database, username: o.username, password: o.password, tls: o.tls, requestTimeoutMs: 5_000 })
    this.name = `clickhouse ${o.database}.control_log`
  }

  async read (q: ControlQuery): Promise<ControlRow[]> {
    const where = ['kind = {kind:String}']
    const params: Record<string, string | number> = { kind: q.kind }
    // An integer we computed: inlined, since older servers take no parameter in LIMIT.
    const limit = Math.max(1, Math.min(100_000, Math.floor(q.limit)))
    if (q.model !== undefined) {
      where.push('model = {model:String}')
      params.model = q.model
    }
    if (q.id !== undefined) {
      where.push('id = {id:String}')
      params.id = q.id
    }
    const rows = await this.#ch.select<ControlRow>(
      `SELECT time, millis, kind, id, model, instance_id, action, rollout_id, revision, entry FROM ${this.#ch.database}.control_log FINAL ` +
      `WHERE ${where.join(' AND ')} ORDER BY time DESC, millis DESC, id DESC LIMIT ${limit}`, params)
    // UInt64 arrives as a string in JSON formats; DateTime as text: the entry carries the exact values anyway.
    return rows.map(r => ({ ...r, time: typeof r.time === 'number' ? r.time : Date.parse(`${String(r.time).replace(' ', 'T')}Z`) / 1000, millis: Number(r.millis), revision: Number(r.revision) }))
  }

  async close (): Promise<void> {
    await this.#ch.close()
  }
}
