import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { repoRoot } from '../../scripts/processes/ready-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { dropIsolated, isolated, startSink, type Isolated, type SinkProcess } from './pipeline-harness.js'
import { backgroundLoad, TOKEN } from './release-harness.js'

// v3 flips its prediction for amounts above 1000. The golden file (amounts up
// to 980, expected = v1's answers) passes it; recorded production traffic of
// v1 (amounts 50..1550, through Kafka into ClickHouse) replayed to v3 at a
// concurrency of 4 does not.

let iso: Isolated
let sink: SinkProcess
let v1: ModelProcess
let v3: ModelProcess
let gw: GatewayProcess
let dir: string

beforeAll(async () => {
  iso = await isolated('replay')
  sink = await startSink(iso)
  v1 = await startModel({ version: 'v1' })
  v3 = await startModel({ version: 'v3', extraArgs: ['--flip-above-amount', '1000'] })
  dir = await mkdtemp(join(tmpdir(), 'replay-suite-'))
  const golden = (await readFile(join(repoRoot(), 'config', 'golden', 'fraud.ndjson'), 'utf8')).split('\n')
    .filter(l => l.startsWith('{') && (JSON.parse(l) as { inputs: Array<{ data: number[] }> }).inputs[0]!.data[0]! < 1000)
  await writeFile(join(dir, 'base.ndjson'), golden.join('\n'))
  gw = await startGatewayProcess({
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    logging: { sink: 'kafka', kafkaBrokers: iso.env.KAFKA_BROKERS.split(','), topicPrefix: iso.prefix, flushIntervalMs: 100, rollupFlushMs: 1000 },
    rollouts: { clickhouseUrl: iso.env.CLICKHOUSE_URL, clickhouseDatabase: iso.db },
    models: {
      fraud: {
        versions: { v1: { replicas: [v1.url] }, v3: { replicas: [v3.url] } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { enabled: false },
        sampling: { rate: 1, captureBodies: true },
        verification: {
          suites: {
            // A fresh v3 answers its first requests slower (JIT); this test is about outputs, not latency.
            base: { files: [{ file: join(dir, 'base.ndjson'), tolerance: 0.00001 }], latencySlackMs: 500 },
            recent: { replay: { windowMs: 600_000, requests: 300, concurrency: 4, tolerance: 0.00001, minAgreement: 0.99 } }
          }
        }
      }
    }
  })
  const load = backgroundLoad(gw.url, { concurrency: 4 })
  try {
    await eventually(async () => {
      const rows = await iso.ch.select<{ n: string }>(`SELECT count() AS n FROM ${iso.db}.records WHERE version = 'v1' AND request_body != ''`)
      expect(Number(rows[0]!.n)).toBeGreaterThanOrEqual(300)
    }, { timeoutMs: 60_000, intervalMs: 500 })
  } finally {
    await load.stop()
  }
}, 120_000)

afterAll(async () => {
  await gw?.stop()
  await sink?.stop()
  await Promise.all([v1?.stop(), v3?.stop()])
  await dropIsolated(iso)
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

async function verify (suite: string): Promise<{ code: number, stdout: string }> {
  try {
    const r = await promisify(execFile)('node', [join(repoRoot(), 'dist', 'gateway', 'cli', 'main.js'), 'verify', 'fraud', 'v3', '--suite', suite, '--admin-url', gw.adminUrl!, '--token', TOKEN])
    return { code: 0, stdout: r.stdout }
  } catch (err) {
    const e = err as { code: number, stdout: string }
    return { code: e.code, stdout: e.stdout }
  }
}

describe('a replay suite of recorded production traffic', () => {
  it('fails a candidate that is wrong on recorded inputs (exit 3, replay outputs FAIL) while the golden file passes it (exit 0)', async () => {
    const base = await verify('base')
    expect(base.code, base.stdout).toBe(0)
    expect(base.stdout).toMatch(/^fraud v3: verification PASSED \(suites base: 7 golden requests x 1 replicas/)

    const recent = await verify('recent')
    expect(recent.code).toBe(3)
    expect(recent.stdout).toMatch(/^fraud v3: verification FAILED \(suites recent: 0 golden requests x 1 replicas/)
    expect(recent.stdout).toMatch(/recent\/replay\/outputs +FAIL +\d+\.\d% of 300 replayed answers within 0\.00001 of what "v1" answered \(needs 99\.0%\)/)
    expect(recent.stdout).toMatch(/recent\/replay\/errors +pass +0 of 300 replayed calls failed/)
  })
})
