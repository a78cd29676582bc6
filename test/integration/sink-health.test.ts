// The sink's probe endpoints (for the sink Deployment's liveness and readiness
// probes): both answer 200 once the sink joined its group, with its counters.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, dropIsolated, isolated, type Isolated } from './pipeline-harness.js'

let iso: Isolated
let child: ChildProcess
let base = ''

beforeAll(async () => {
  iso = await isolated('sink_health')
  child = spawn(process.execPath, [CLI, 'sink', '--brokers', iso.env.KAFKA_BROKERS, '--clickhouse', iso.env.CLICKHOUSE_URL, '--database', iso.db, '--topic-prefix', iso.prefix, '--group', `g-${iso.prefix}`, '--health-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stderr!.resume()
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('sink not ready in 45 s')) }, 45_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /"healthPort":(\d+)/.exec(line)
      if (m !== null) { clearTimeout(timer); resolve(Number(m[1])) }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`sink exited with ${code}`)) })
  })
  base = `http://127.0.0.1:${port}`
}, 60_000)

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise(resolve => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  await dropIsolated(iso)
}, 30_000)

describe('sink health endpoints', () => {
  it('GET /health/live answers 200', async () => {
    expect((await fetch(`${base}/health/live`)).status).toBe(200)
  })

  it('GET /health/ready answers 200 with ready true and the insert counters once the group is joined', async () => {
    const res = await fetch(`${base}/health/ready`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ ready: true, failingPartitions: 0, stats: { inserted: { records: 0, rollups: 0, health: 0 } } })
  })

  it('another path answers 404 with a JSON error', async () => {
    const res = await fetch(`${base}/metrics`)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: 'not found; GET /health/live or /health/ready' })
  })

  it('a bad --health-port is refused with exit code 2 and a message naming it', () => {
    const r = spawnSync(process.execPath, [CLI, 'sink', '--brokers', '127.0.0.1:1', '--health-port', 'x'], { encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('--health-port must be an integer 0..65535, got "x"')
  })
})
