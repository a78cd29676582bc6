/**
 * The analyst queries of config/clickhouse/queries.sql, by name. A query is a
 * block that starts with `-- name: NAME`, followed by its comment lines (the
 * description) and the SQL up to the next block. `{name:Type}` placeholders
 * are bound by ClickHouse.select, which inlines checked literals on servers
 * without query parameters (18.16), so every query runs on every version.
 */
import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ParamValue } from './sql.js'

export interface NamedQuery {
  name: string
  /** The comment lines under the name, joined. */
  description: string
  sql: string
  /** Placeholders in order of first use, with their ClickHouse types. */
  params: Array<{ name: string, type: string }>
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):\s*([A-Za-z0-9]+)\s*\}/g
/** The database the file's queries name; another one is substituted for it. */
export const FILE_DATABASE = 'model_gateway'

export function parseNamedQueries (text: string): NamedQuery[] {
  const out: NamedQuery[] = []
  for (const block of text.split(/^-- name: /m).slice(1)) {
    const [head, ...rest] = block.split('\n')
    const description: string[] = []
    let i = 0
    for (; i < rest.length && rest[i]!.startsWith('--'); i++) description.push(rest[i]!.replace(/^--\s?/, ''))
    // SQL runs to the first semicolon at a line's end; comment blocks after it belong to no query.
    const body = rest.slice(i).join('\n')
    const end = body.search(/;\s*$/m)
    const sql = (end < 0 ? body : body.slice(0, end)).trim()
    const params: NamedQuery['params'] = []
    for (const m of sql.matchAll(PLACEHOLDER)) if (!params.some(p => p.name === m[1])) params.push({ name: m[1]!, type: m[2]! })
    out.push({ name: head!.trim(), description: description.join(' ').trim(), sql, params })
  }
  return out
}

/** The SQL against another database than the file's. */
export function forDatabase (sql: string, database: string): string {
  return database === FILE_DATABASE ? sql : sql.replaceAll(`${FILE_DATABASE}.`, `${database}.`)
}

/** A command-line value as the placeholder's type wants it: numbers for numeric types. */
export function paramValue (name: string, type: string, raw: string): ParamValue {
  if (type === 'String') return raw
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(n)) throw new RangeError(`--param ${name}=${raw}: ${type} needs a number`)
  return n
}

/** config/clickhouse/queries.sql of this installation (a clone, or /app in the image). */
export function defaultQueriesFile (): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const f = join(dir, 'config', 'clickhouse', 'queries.sql')
    if (existsSync(f)) return f
    if (dirname(dir) === dir) return join('config', 'clickhouse', 'queries.sql')
  }
}

export async function loadNamedQueries (file: string): Promise<NamedQuery[]> {
  return parseNamedQueries(await readFile(file, 'utf8'))
}
