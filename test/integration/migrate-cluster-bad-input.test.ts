// `migrate --cluster` refuses a bad cluster name before it talks to any server,
// and a cluster the server does not know fails with the server's reason.
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { serviceEnv } from '../../scripts/services/control.js'
import { CLI } from './pipeline-harness.js'

describe('migrate --cluster bad input', () => {
  it('a cluster name with characters outside letters, digits and "_" exits 2 naming the flag', () => {
    const r = spawnSync(process.execPath, [CLI, 'migrate', '--clickhouse', 'http://127.0.0.1:1', '--cluster', 'mg;DROP'], { encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stderr).toBe('model-gateway migrate: --cluster may hold letters, digits and "_", got "mg;DROP"\n')
  })

  it('a cluster the server has no remote_servers entry for exits 1 with the server\'s message', () => {
    const r = spawnSync(process.execPath, [CLI, 'migrate', '--clickhouse', serviceEnv().CLICKHOUSE_URL, '--database', 'mg_no_such_cluster', '--cluster', 'no_such_cluster'], { encoding: 'utf8', timeout: 60_000 })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^model-gateway migrate: .*no_such_cluster/)
  })
})
