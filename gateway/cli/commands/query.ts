/**
 * `model-gateway query NAME [--param k=v]…`: runs one of the named analyst
 * queries of config/clickhouse/queries.sql on any ClickHouse version (values
 * bound by the server where it can, as checked literals on 18.16), and prints
 * the rows as a table (or JSON lines).
 */
import { parseArgs } from 'node:util'
import type { Command } from '../command.js'
import { readEnv } from '../../config/env.js'
import { COMMON_OPTIONS, SECURITY_HELP, endpoints, openClickHouse } from '../pipeline-options.js'
import { UsageError } from '../usage-error.js'
import { parseDuration } from '../../sink/report.js'
import { defaultQueriesFile, forDatabase, loadNamedQueries, paramValue, type NamedQuery } from '../../sink/named-queries.js'
import type { ParamValue } from '../../sink/sql.js'

const HELP = `usage: npx model-gateway query NAME [--param NAME=VALUE]... [options]
       npx model-gateway query --list

Runs a named analyst query of config/clickhouse/queries.sql (docs/analyst-guide.md)
on ClickHouse 18.16 or a current server and prints its rows.

  --list                 the queries, with what each answers and its parameters
  --param NAME=VALUE     a value for the query's {NAME:Type} placeholder (repeatable),
                         e.g. --param model=fraud
  --since D              sets {since} to now minus D (90s, 15m, 1h, 2d; default 1h)
                         unless --param since=EPOCH_SECONDS is given
  --file FILE            another queries file (default: the installation's)
  --json                 one JSON object per row instead of a table
  --clickhouse URL       ClickHouse HTTP(S) URL (default $CLICKHOUSE_URL)
  --database NAME        database (default $CLICKHOUSE_DATABASE or model_gateway)
${SECURITY_HELP}`

const command: Command = {
  summary: 'run a named analyst query (config/clickhouse/queries.sql) on any ClickHouse version',
  async run (argv) {
    let parsed
    try {
      parsed = parseArgs({
        args: argv,
        options: { ...COMMON_OPTIONS, param: { type: 'string', multiple: true }, since: { type: 'string' }, file: { type: 'string' }, list: { type: 'boolean' }, json: { type: 'boolean' } },
        allowPositionals: true,
        strict: true
      })
    } catch (err) {
      process.stderr.write(`model-gateway query: ${(err as Error).message}\n\n${HELP}`)
      return 2
    }
    const { values, positionals } = parsed
    if (values.help === true) { process.stdout.write(HELP); return 0 }
    const file = values.file ?? defaultQueriesFile()
    let queries: NamedQuery[]
    try {
      queries = await loadNamedQueries(file)
    } catch (err) {
      process.stderr.write(`model-gateway query: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})\n`)
      return 1
    }
    if (values.list === true || positionals.length === 0) {
      process.stdout.write(listing(queries))
      return values.list === true ? 0 : 2
    }
    let query: NamedQuery, params: Record<string, ParamValue>, ep
    try {
      if (positionals.length > 1) throw new UsageError(`expected one query name, got ${positionals.join(' ')}`)
      const found = queries.find(q => q.name === positionals[0])
      if (found === undefined) throw new UsageError(`no query named "${positionals[0]}" in ${file}; --list shows them`)
      query = found
      params = bindings(query, values.param ?? [], values.since)
      ep = endpoints(values, readEnv())
    } catch (err) {
      process.stderr.write(`model-gateway query: ${(err as Error).message}\n`)
      return 2
    }
    const ch = openClickHouse(ep)
    try {
      const rows = await ch.select<Record<string, unknown>>(forDatabase(query.sql, ep.database), params)
      process.stdout.write(values.json === true ? rows.map(r => `${JSON.stringify(r)}\n`).join('') : formatRows(rows))
      return 0
    } catch (err) {
      process.stderr.write(`model-gateway query: ${ch.describe(err)}\n`)
      return 1
    } finally {
      await ch.close()
    }
  }
}

/** --param values typed by their placeholders; {since} from --since when not given. */
function bindings (query: NamedQuery, raw: string[], since: string | undefined): Record<string, ParamValue> {
  const given = new Map<string, string>()
  for (const p of raw) {
    const eq = p.indexOf('=')
    if (eq <= 0) throw new UsageError(`--param must be NAME=VALUE, got "${p}"`)
    given.set(p.slice(0, eq), p.slice(eq + 1))
  }
  for (const name of given.keys()) {
    if (!query.params.some(p => p.name === name)) throw new UsageError(`query ${query.name} has no parameter "${name}" (it takes ${query.params.map(p => p.name).join(', ') || 'none'})`)
  }
  const out: Record<string, ParamValue> = {}
  for (const p of query.params) {
    let v = given.get(p.name)
    if (v === undefined && p.name === 'since') {
      try {
        v = String(Math.floor(Date.now() / 1000 - parseDuration(since ?? '1h')))
      } catch (err) {
        throw new UsageError(`--since: ${(err as Error).message}`)
      }
    }
    if (v === undefined) throw new UsageError(`query ${query.name} needs --param ${p.name}=… (${p.type})`)
    try {
      out[p.name] = paramValue(p.name, p.type, v)
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
  }
  return out
}

function listing (queries: readonly NamedQuery[]): string {
  const lines = [`${queries.length} queries (run one with: npx model-gateway query NAME --param model=…):`, '']
  for (const q of queries) {
    lines.push(`  ${q.name}${q.params.length === 0 ? '' : `  (${q.params.map(p => `${p.name}:${p.type}`).join(', ')})`}`)
    lines.push(`      ${q.description}`)
  }
  return `${lines.join('\n')}\n`
}

/** Rows as an aligned table: columns in the query's order, numbers right-aligned, '' for an empty string. */
export function formatRows (rows: ReadonlyArray<Record<string, unknown>>): string {
  if (rows.length === 0) return '(no rows)\n'
  const cols = Object.keys(rows[0]!)
  // An empty string shows as '' (a version or application that is not set), not as a blank that reads like a gap.
  const cell = (v: unknown): string => v === null ? 'NULL' : v === '' ? "''" : typeof v === 'object' ? JSON.stringify(v) : String(v)
  const body = rows.map(r => cols.map(c => cell(r[c])))
  const numeric = cols.map((_, i) => body.every(b => /^-?(\d+(\.\d+)?([eE][-+]?\d+)?|nan|inf|-inf)$/.test(b[i]!)))
  const widths = cols.map((c, i) => Math.max(c.length, ...body.map(b => b[i]!.length)))
  const line = (cells: string[]): string => cells.map((c, i) => numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(cols), widths.map(w => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n'
}

export default command
