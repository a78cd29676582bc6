// The analyst guide's query examples are what `model-gateway query` prints: every
// named query of config/clickhouse/queries.sql is run by name on the project's
// ClickHouse (18.16, no server-side parameters) over the example data, and its
// output compared with the guide's block for it. The guide lists every query and
// every table the migrations create.
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClickHouse } from '../../gateway/sink/clickhouse.js'
import { migrate } from '../../gateway/sink/schema.js'
import { loadNamedQueries, type NamedQuery } from '../../gateway/sink/named-queries.js'
import { serviceEnv } from '../../scripts/services/control.js'
import { insertExampleData } from '../support/analyst-data.js'
import { CLI, REPO } from './pipeline-harness.js'

const database = `aq_${Date.now().toString(36)}`
let ch: ClickHouse
let guide: string
let queries: NamedQuery[]
const env = serviceEnv()

interface Example { command: string, args: string[], output: string }

/** The guide's ```console blocks that run `npx model-gateway query`, by query name. */
function examples (markdown: string): Map<string, Example> {
  const out = new Map<string, Example>()
  for (const m of markdown.matchAll(/^```console\n\$ (npx model-gateway query .*)\n([\s\S]*?)^```/gm)) {
    const command = m[1]!
    const args = command.split(/\s+/).slice(2)
    out.set(args[1]!, { command, args, output: m[2]! })
  }
  return out
}

function normalizeSql (sql: string): string {
  return sql.split('\n').filter(l => !l.trim().startsWith('--')).join(' ').replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim().replace(/;$/, '')
}

beforeAll(async () => {
  ch = new ClickHouse({ url: env.CLICKHOUSE_URL, database })
  await migrate(ch, 0)
  await insertExampleData(ch)
  guide = await readFile(join(REPO, 'docs', 'analyst-guide.md'), 'utf8')
  queries = await loadNamedQueries(join(REPO, 'config', 'clickhouse', 'queries.sql'))
}, 60_000)

afterAll(async () => {
  await ch?.command(`DROP DATABASE IF EXISTS ${database}`).catch(() => {})
  await ch?.close()
})

describe('the analyst guide', () => {
  it('has one example per named query of queries.sql, and lists each in its table', () => {
    expect(queries.length).toBeGreaterThanOrEqual(16)
    expect([...examples(guide).keys()].sort()).toEqual(queries.map(q => q.name).sort())
    for (const q of queries) expect(guide).toContain(`| \`${q.name}\` |`)
  })

  it('names every table the migrations create in its table of tables', async () => {
    const tables = (await ch.select<{ name: string }>(`SELECT name FROM system.tables WHERE database = {db:String} AND name != 'schema_migrations' ORDER BY name`, { db: database })).map(t => t.name)
    const listed = [...guide.slice(0, guide.indexOf('## Reading the tables')).matchAll(/^\| `(\w+)` \|/gm)].map(m => m[1]).sort()
    expect(listed).toEqual(tables)
  })

  it('shows SQL examples that are queries of queries.sql as they are', () => {
    const sqlBlocks = [...guide.matchAll(/^```sql\n([\s\S]*?)^```/gm)].flatMap(m => m[1]!.split(/;\s*$/m)).map(normalizeSql).filter(s => s !== '')
    expect(sqlBlocks.length).toBeGreaterThan(0)
    const known = new Set(queries.map(q => normalizeSql(q.sql)))
    for (const s of sqlBlocks) expect(known.has(s) ? s : `not in queries.sql: ${s}`).toBe(s)
  })
})

describe('npx model-gateway query, as the guide shows it', () => {
  it.each(['requests_per_version', 'error_rate_per_version', 'latency_percentiles_by_minute', 'requests_per_application', 'batch_vs_live_per_version',
    'sample_weighted_requests_per_version', 'latency_percentiles_from_records', 'canary_vs_stable_by_minute',
    'prediction_distribution_per_version', 'mean_prediction_per_version', 'sampled_errors', 'sticky_users_per_version',
    'health_checks_per_replica', 'shadow_agreement', 'shadow_difference_distribution', 'shadow_latency_side_by_side', 'shadow_errors',
    'outcome_accuracy_per_version', 'business_value_per_version', 'unmatched_outcomes', 'latest_monitor_results'])('%s prints the guide\'s output on the example data', (name) => {
    const ex = examples(guide).get(name)
    expect(ex?.command).toBeDefined()
    const r = spawnSync(process.execPath, [CLI, ...ex!.args, '--database', database], { encoding: 'utf8', env: { ...process.env, CLICKHOUSE_URL: env.CLICKHOUSE_URL } })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(ex!.output)
  })

  it('a query without its parameter is refused with exit 2, naming the parameter and its type', () => {
    const r = spawnSync(process.execPath, [CLI, 'query', 'requests_per_version', '--database', database], { encoding: 'utf8', env: { ...process.env, CLICKHOUSE_URL: env.CLICKHOUSE_URL } })
    expect(r.status).toBe(2)
    expect(r.stderr).toBe('model-gateway query: query requests_per_version needs --param model=… (String)\n')
  })

  it('a value with quotes is bound as a string, not as SQL', () => {
    const r = spawnSync(process.execPath, [CLI, 'query', 'requests_per_version', '--param', "model=fraud' OR 1=1 --", '--param', 'since=0', '--database', database], { encoding: 'utf8', env: { ...process.env, CLICKHOUSE_URL: env.CLICKHOUSE_URL } })
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('(no rows)\n')
  })

  it('an unknown query name is refused with exit 2 and a pointer to --list', () => {
    const r = spawnSync(process.execPath, [CLI, 'query', 'no_such_query'], { encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/^model-gateway query: no query named "no_such_query" in .*queries\.sql; --list shows them\n$/)
  })
})
