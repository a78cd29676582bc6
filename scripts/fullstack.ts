/**
 * `npm run fullstack`: the shared setup on one machine. Brings up Kafka and
 * ClickHouse (scripts/services; left running if they already were), creates the
 * schema and topics with `model-gateway migrate --kafka`, starts the example
 * fraud model (v1 stable, v2 canary at 20%, two replicas each), a gateway on
 * 127.0.0.1:8080 logging to Kafka (10% of stable requests, 100% of the canary's)
 * and a `model-gateway sink`, then prints what to curl and the report command.
 * Ctrl-C stops everything it started (the services only if it started them).
 *
 * Ports from FULLSTACK_PORT (8080) and FULLSTACK_ADMIN_PORT (8081).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startModel, type ModelProcess } from './processes/model-process.js'
import { SERVICE_NAMES } from './services/paths.js'
import { down, isOurProcess, readPid, up } from './services/services.js'

const PORT = Number(process.env.FULLSTACK_PORT ?? 8080)
const ADMIN_PORT = Number(process.env.FULLSTACK_ADMIN_PORT ?? 8081)
const READY_TIMEOUT_MS = 60_000

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const cli = join(repo, 'dist', 'gateway', 'cli', 'main.js')
const gatewayMain = join(repo, 'dist', 'gateway', 'main.js')
const log = (s: string): void => { process.stdout.write(`${s}\n`) }

/** Starts a process that prints a `{"event":"ready"}` line; its stderr (JSON logs) goes to `logFile`-less inherit. */
function startReady (name: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' } })
  child.stderr!.pipe(process.stderr)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${name} printed no ready line in ${READY_TIMEOUT_MS / 1000} s`)) }, READY_TIMEOUT_MS)
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      if (line.includes('"event":"ready"')) {
        clearTimeout(timer)
        child.stdout!.resume()
        resolve(child)
      }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with code ${code} before it was ready`)) })
  })
}

async function stopChild (c: ChildProcess | undefined): Promise<void> {
  if (c === undefined || c.exitCode !== null || c.signalCode !== null) return
  const exited = new Promise(resolve => c.once('exit', resolve))
  c.kill('SIGTERM')
  const t = setTimeout(() => c.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(t)
}

async function main (): Promise<void> {
  const servicesWereRunning = SERVICE_NAMES.every(n => { const p = readPid(n); return p !== undefined && isOurProcess(p, n) })
  const dir = await mkdtemp(join(tmpdir(), 'model-gateway-fullstack-'))
  const models: ModelProcess[] = []
  let gateway: ChildProcess | undefined
  let sink: ChildProcess | undefined
  let stopping = false
  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return
    stopping = true
    log('\nstopping the gateway, the sink and the models…')
    await stopChild(gateway)
    await stopChild(sink)
    await Promise.allSettled(models.map(m => m.stop()))
    await rm(dir, { recursive: true, force: true })
    if (!servicesWereRunning) {
      log('stopping the services this run started…')
      await down().catch((err: unknown) => { process.stderr.write(`services down failed: ${(err as Error).message}\n`) })
    }
    process.exit(code)
  }
  process.on('SIGINT', () => { void stopAll(0) })
  process.on('SIGTERM', () => { void stopAll(0) })

  try {
    log(servicesWereRunning ? 'services already running: using them (they stay up afterwards)' : 'starting Kafka, ClickHouse and Redis (scripts/services)…')
    const env = await up()
    const migrate = spawnSync(process.execPath, [cli, 'migrate', '--kafka', '--clickhouse', env.CLICKHOUSE_URL, '--brokers', env.KAFKA_BROKERS], { encoding: 'utf8' })
    process.stdout.write(migrate.stdout)
    if (migrate.status !== 0) throw new Error(`model-gateway migrate failed:\n${migrate.stderr}`)

    for (const version of ['v1', 'v1', 'v2', 'v2']) models.push(await startModel({ version }))
    const replicas = (v: string): string[] => models.filter(m => m.version === v).map(m => m.url)
    sink = await startReady('sink', [cli, 'sink', '--brokers', env.KAFKA_BROKERS, '--clickhouse', env.CLICKHOUSE_URL])

    const token = randomBytes(18).toString('base64url')
    const config = {
      gateway: { host: '127.0.0.1', port: PORT, instanceId: 'fullstack-1' },
      admin: { host: '127.0.0.1', port: ADMIN_PORT, metricsPublic: true, tokens: [{ name: 'fullstack', token, role: 'admin' }] },
      logging: { sink: 'kafka', kafkaBrokers: env.KAFKA_BROKERS.split(','), rollupFlushMs: 2_000 },
      // Rollouts judge, and the console draws, the fleet's traffic from ClickHouse.
      rollouts: { source: 'clickhouse', clickhouseUrl: env.CLICKHOUSE_URL },
      models: {
        fraud: {
          sticky: { header: 'x-user-id' },
          allowVersionHeader: true,
          versions: { v1: { replicas: replicas('v1') }, v2: { replicas: replicas('v2') } },
          release: {
            strategy: 'canary',
            stable: 'v1',
            canary: 'v2',
            canaryWeight: 2000,
            rollout: { steps: [{ weight: '25%', bake: '2m' }, { weight: '50%', bake: '2m' }], interval: '15s', checks: { errors: {}, latency: {} } }
          },
          healthCheck: { intervalMs: 10_000 },
          sampling: { rate: 0.1, versions: { v2: 1 } }
        }
      }
    }
    const configFile = join(dir, 'gateway.json')
    await writeFile(configFile, JSON.stringify(config, null, 2))
    gateway = await startReady('gateway', [gatewayMain, '--config', configFile])

    log(`
model-gateway full stack is up:
  gateway      http://127.0.0.1:${PORT}  (admin http://127.0.0.1:${ADMIN_PORT}, token ${token})
  console      http://127.0.0.1:${ADMIN_PORT}/console/  (sign in with the token above; traffic from ClickHouse)
  models       fraud v1 (stable, 80%): ${replicas('v1').join(' ')}
               fraud v2 (canary, 20%): ${replicas('v2').join(' ')}
  scoring log  Kafka ${env.KAFKA_BROKERS} -> model-gateway sink -> ClickHouse ${env.CLICKHOUSE_URL} (database model_gateway)
               sampling: 10% of v1, 100% of v2; exact per-minute rollups for every request

Send traffic:
  for i in $(seq 1 500); do curl -s -o /dev/null http://127.0.0.1:${PORT}/v2/models/fraud/infer \\
    -H 'content-type: application/json' -H "x-user-id: user-$i" \\
    -d '{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[620,200,7,265]}]}'; done
  (or: npx model-gateway traffic --url http://127.0.0.1:${PORT} --rps 50 --users 1000 --duration 30s)

Compare the versions (after a few seconds):
  npx model-gateway report fraud --since 15m --clickhouse ${env.CLICKHOUSE_URL}

Analyst queries by name (docs/analyst-guide.md):
  npx model-gateway query --list
  npx model-gateway query canary_vs_stable_by_minute --param model=fraud --since 15m --clickhouse ${env.CLICKHOUSE_URL}
Ctrl-C stops everything this run started.`)
  } catch (err) {
    process.stderr.write(`fullstack: ${(err as Error).message}\n`)
    await stopAll(1)
  }
}

void main()
