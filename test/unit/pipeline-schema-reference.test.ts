import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MIGRATIONS, DEFAULT_RETENTION_DAYS } from '../../gateway/sink/schema.js'
import { DEFAULT_DATABASE, featuresOf } from '../../gateway/sink/clickhouse.js'

// config/clickhouse/schema.sql is what analysts read; the migrations are what
// runs. Each "-- N: name" block of the file must be exactly migration N as
// created on a current server, so the two cannot drift apart.

const file = readFileSync(join(import.meta.dirname, '..', '..', 'config', 'clickhouse', 'schema.sql'), 'utf8')

function blocks (sql: string): Map<number, string> {
  const out = new Map<number, string>()
  const re = /^-- (\d+): \S+\n([\s\S]*?);\n/gm
  for (let m = re.exec(sql); m !== null; m = re.exec(sql)) out.set(Number(m[1]), m[2]!.trim())
  return out
}

describe('config/clickhouse/schema.sql', () => {
  const inFile = blocks(file)

  it('has one block per migration', () => {
    expect([...inFile.keys()]).toEqual(MIGRATIONS.map(m => m.id))
  })

  it.each(MIGRATIONS.map(m => [m.id, m.name, m] as const))('block %i (%s) is the migration as created on a current server', (id, _name, m) => {
    expect(inFile.get(id)).toBe(m.sql(DEFAULT_DATABASE, featuresOf('24.8.1.1'), DEFAULT_RETENTION_DAYS).trim())
  })
})
