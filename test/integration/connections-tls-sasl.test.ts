// The gateway, the sink and migrate against a Kafka broker that accepts only
// SASL_SSL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and a ClickHouse that answers
// only https with a user and password — both private servers this file starts
// (scripts/services/secure.ts), with certificates made for the run. Records land;
// a wrong password gives one line naming the service; no password reaches a log.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeCerts, startSecureClickhouse, startSecureKafka, type Certs, type SecureServer } from '../../scripts/services/secure.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { ClickHouse } from '../../gateway/sink/clickhouse.js'
import { eventually } from '../support/eventually.js'
import { CLI, load } from './pipeline-harness.js'

const SECRETS = {
  plain: 'plain-Pw-4f1e0a9c',
  scram256: 'scram256-Pw-77d0b3e1',
  scram512: 'scram512-Pw-0c9a2b55',
  clickhouse: 'ch-Pw-5e6f7a8b9c'
}
const WRONG = 'wrong-Pw-13579bdf'

let dir: string
let certs: Certs
let kafka: SecureServer
let clickhouse: SecureServer
let ch: ClickHouse
const models: ModelProcess[] = []
let gateway: GatewayProcess | undefined
const database = `tls_${Date.now().toString(36)}`
const prefix = `tls-${Date.now().toString(36)}`

/** Environment of a CLI process: the secured endpoints, credentials as the platform team's Secret would give them. */
function cliEnv (over: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LOG_LEVEL: 'debug',
    KAFKA_BROKERS: kafka.address,
    KAFKA_TLS_CA_FILE: certs.ca,
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: 'sink256',
    KAFKA_SASL_PASSWORD: SECRETS.scram256,
    CLICKHOUSE_URL: clickhouse.address,
    CLICKHOUSE_USER: 'analyst',
    CLICKHOUSE_PASSWORD: SECRETS.clickhouse,
    CLICKHOUSE_TLS_CA_FILE: certs.ca,
    CLICKHOUSE_DATABASE: database,
    ...over
  }
}

function expectNoSecret (text: string): void {
  for (const s of [...Object.values(SECRETS), WRONG]) expect(text).not.toContain(s)
}

/** Runs `model-gateway sink` until it prints its ready line or exits; returns what happened. */
function runSink (env: NodeJS.ProcessEnv): Promise<{ ready: boolean, code: number | null, stderr: string, stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [CLI, 'sink', '--topic-prefix', prefix, '--group', `g-${prefix}`], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return
    const done = new Promise(resolve => child.once('exit', resolve))
    child.kill('SIGTERM')
    await done
  }
  return new Promise((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      if (c.includes('"event":"ready"')) resolve({ ready: true, code: null, stderr, stop })
    })
    child.once('exit', (code) => { setImmediate(() => resolve({ ready: false, code, stderr, stop })) })
  })
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mg-tls-'))
  certs = makeCerts(join(dir, 'certs'))
  ;[kafka, clickhouse] = await Promise.all([
    startSecureKafka(dir, certs, { plain: { migrator: SECRETS.plain }, 'scram-sha-256': { sink256: SECRETS.scram256 }, 'scram-sha-512': { gw512: SECRETS.scram512 } }),
    startSecureClickhouse(dir, certs, 'analyst', SECRETS.clickhouse)
  ])
  ch = new ClickHouse({ url: clickhouse.address, database, username: 'analyst', password: SECRETS.clickhouse, tls: { caFile: certs.ca } })
  for (const v of ['v1', 'v2']) models.push(await startModel({ version: v }))
}, 240_000)

afterAll(async () => {
  await gateway?.stop()
  await Promise.allSettled(models.map(m => m.stop()))
  await ch?.close()
  await Promise.allSettled([kafka?.stop(), clickhouse?.stop()])
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

describe('migrate', () => {
  it('creates the schema over https with a password and the topics over SASL_SSL with PLAIN, printing no secret', () => {
    const r = spawnSync(process.execPath, [CLI, 'migrate', '--kafka', '--topic-prefix', prefix, '--kafka-sasl', 'plain', '--kafka-user', 'migrator'],
      { env: cliEnv({ KAFKA_SASL_PASSWORD: SECRETS.plain }), encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^ClickHouse 18\.16\.\d+: database tls_\w+; applied /m)
    expect(r.stdout).toContain(`Kafka: created ${prefix}.records`)
    expectNoSecret(r.stdout + r.stderr)
  }, 60_000)

  it('with a wrong ClickHouse password: exit 1 and one line naming ClickHouse, its address and the user', () => {
    const r = spawnSync(process.execPath, [CLI, 'migrate'], { env: cliEnv({ CLICKHOUSE_PASSWORD: WRONG }), encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr.trimEnd().split('\n')).toEqual([`model-gateway migrate: ClickHouse at ${clickhouse.address} refused the credentials of user "analyst" (Code: 193, e.displayText() = DB::Exception: Wrong password for user analyst); check CLICKHOUSE_USER / CLICKHOUSE_PASSWORD`])
    expectNoSecret(r.stderr)
  }, 60_000)
})

describe('gateway and sink', () => {
  it('a gateway producing with SCRAM-SHA-512 and a sink consuming with SCRAM-SHA-256 land every sampled record in ClickHouse over https', async () => {
    gateway = await startGatewayProcess({
      gateway: { host: '127.0.0.1' },
      admin: { host: '127.0.0.1', tokens: [{ name: 't', token: 'tls-test-token-0123456789', role: 'admin' }] },
      logging: {
        sink: 'kafka',
        kafkaBrokers: [kafka.address],
        kafkaTls: { caFile: certs.ca },
        kafkaSasl: { mechanism: 'scram-sha-512', username: 'gw512', password: '${KAFKA_SASL_PASSWORD}' },
        topicPrefix: prefix,
        flushIntervalMs: 100,
        rollupFlushMs: 500
      },
      models: {
        fraud: {
          versions: { v1: { replicas: [models[0]!.url] }, v2: { replicas: [models[1]!.url] } },
          release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 5000 },
          healthCheck: { enabled: false },
          sampling: { rate: 1 }
        }
      }
    }, { env: { LOG_LEVEL: 'debug', KAFKA_SASL_PASSWORD: SECRETS.scram512 } })
    const sink = await runSink(cliEnv())
    try {
      expect(sink.ready).toBe(true)
      const sent = await load(gateway.url, 200)
      expect(sent.ok).toBe(200)
      const landed = await eventually(async () => {
        const rows = await ch.select<{ n: string }>(`SELECT uniqExact(request_id) AS n FROM ${database}.records WHERE model = {model:String}`, { model: 'fraud' })
        const n = Number(rows[0]!.n)
        expect(n).toBe(200)
        return n
      }, { timeoutMs: 90_000, intervalMs: 500 })
      expect(landed).toBe(200)
    } finally {
      await sink.stop()
    }
    expectNoSecret(gateway.stderr() + sink.stderr)
  }, 180_000)

  it('a sink with a wrong Kafka password exits 1 with one line naming Kafka, the mechanism and the user', async () => {
    const r = await runSink(cliEnv({ KAFKA_SASL_PASSWORD: WRONG, LOG_LEVEL: 'warn' }))
    expect(r.ready).toBe(false)
    expect(r.code).toBe(1)
    expect(r.stderr.trimEnd().split('\n')).toEqual([`model-gateway sink: Kafka at ${kafka.address} refused the credentials (SASL SCRAM-SHA-256 as user "sink256"); check KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD (or logging.kafkaSasl)`])
  }, 120_000)

  it('a sink with a wrong ClickHouse password exits 1 with one line naming ClickHouse, before consuming anything', async () => {
    const r = await runSink(cliEnv({ CLICKHOUSE_PASSWORD: WRONG, LOG_LEVEL: 'warn' }))
    expect(r.ready).toBe(false)
    expect(r.code).toBe(1)
    expect(r.stderr.trimEnd().split('\n')).toEqual([`model-gateway sink: ClickHouse at ${clickhouse.address} refused the credentials of user "analyst" (Code: 193, e.displayText() = DB::Exception: Wrong password for user analyst); check CLICKHOUSE_USER / CLICKHOUSE_PASSWORD`])
  }, 120_000)

  it('a gateway with a wrong Kafka password keeps scoring and logs that Kafka refused the credentials, without the password', async () => {
    const gw = await startGatewayProcess({
      gateway: { host: '127.0.0.1' },
      admin: { enabled: false },
      logging: { sink: 'kafka', kafkaBrokers: [kafka.address], kafkaTls: { caFile: certs.ca }, kafkaSasl: { mechanism: 'scram-sha-512', username: 'gw512', password: '${KAFKA_SASL_PASSWORD}' }, topicPrefix: prefix, flushIntervalMs: 100 },
      models: { fraud: { versions: { v1: { replicas: [models[0]!.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, sampling: { rate: 1 } } }
    }, { env: { LOG_LEVEL: 'debug', KAFKA_SASL_PASSWORD: WRONG } })
    try {
      const sent = await load(gw.url, 20)
      expect(sent.ok).toBe(20)
      const line = await eventually(() => {
        const l = gw.stderr().split('\n').find(x => x.includes('scoring-log send failed'))
        expect(l).toBeDefined()
        return JSON.parse(l!) as { err: string }
      }, { timeoutMs: 60_000, intervalMs: 200 })
      expect(line.err).toBe(`Kafka at ${kafka.address} refused the credentials (SASL SCRAM-SHA-512 as user "gw512"); check KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD (or logging.kafkaSasl)`)
      expectNoSecret(gw.stderr())
    } finally {
      await gw.stop()
    }
  }, 120_000)
})
