// Starts, checks and stops the project's own Redis, Kafka and ClickHouse.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { clickhouseServerCommand, install, installTools, redisServerBinary } from './install.js'
import {
  CONF_DIR,
  DATA_DIR,
  ENV_JSON,
  ENV_SHELL,
  KAFKA_LIBS,
  KAFKA_VERSION,
  LOG_DIR,
  PORTS,
  REPO_ROOT,
  SERVICE_NAMES,
  SERVICES_DIR,
  STATE_JSON,
  dataDir,
  logFile,
  pidFile,
  type ServiceName
} from './paths.js'
import { isOurProcess, readPid, readState, type State } from './liveness.js'
import { probe } from './probes.js'
import { CLICKHOUSE_USERS_XML, clickhouseConfigXml } from './clickhouse-xml.js'

export interface ServiceEnv {
  REDIS_URL: string
  KAFKA_BROKERS: string
  CLICKHOUSE_URL: string
}

export const ENV_KEYS: Record<ServiceName, keyof ServiceEnv> = {
  redis: 'REDIS_URL',
  kafka: 'KAFKA_BROKERS',
  clickhouse: 'CLICKHOUSE_URL'
}

export const LOCAL_ENV: ServiceEnv = {
  REDIS_URL: `redis://127.0.0.1:${PORTS.redis}`,
  KAFKA_BROKERS: `127.0.0.1:${PORTS.kafka}`,
  CLICKHOUSE_URL: `http://127.0.0.1:${PORTS.clickhouseHttp}`
}

/** How long each service may take to answer after start. */
const READY_TIMEOUT_MS: Record<ServiceName, number> = { redis: 20_000, kafka: 60_000, clickhouse: 45_000 }
/** How long a SIGTERM may take before SIGKILL. */
const STOP_TIMEOUT_MS: Record<ServiceName, number> = { redis: 5_000, kafka: 20_000, clickhouse: 15_000 }

function log(msg: string): void {
  process.stderr.write(`[services] ${msg}\n`)
}

const rel = (p: string): string => relative(process.cwd(), p) || p

/** Services the user pointed elsewhere through REDIS_URL / KAFKA_BROKERS / CLICKHOUSE_URL. */
export function externalFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Record<ServiceName, string>> {
  const out: Partial<Record<ServiceName, string>> = {}
  for (const name of SERVICE_NAMES) {
    const v = env[ENV_KEYS[name]]
    if (v && v.trim() !== '') out[name] = v.trim()
  }
  return out
}

export function readEnvFile(): ServiceEnv | undefined {
  try {
    return JSON.parse(readFileSync(ENV_JSON, 'utf8')) as ServiceEnv
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------- processes

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // already gone
  }
}

/** SIGTERM, wait up to the deadline, then SIGKILL; resolves when the process is gone. */
async function killAndWait(pid: number, name: ServiceName): Promise<void> {
  if (!isOurProcess(pid, name)) return
  signal(pid, 'SIGTERM')
  const deadline = Date.now() + STOP_TIMEOUT_MS[name]
  while (isOurProcess(pid, name) && Date.now() < deadline) await sleep(100)
  if (isOurProcess(pid, name)) {
    log(`${name} (pid ${pid}) ignored SIGTERM for ${STOP_TIMEOUT_MS[name] / 1000} s; sending SIGKILL`)
    signal(pid, 'SIGKILL')
    const killDeadline = Date.now() + 10_000
    while (isOurProcess(pid, name) && Date.now() < killDeadline) await sleep(50)
    if (isOurProcess(pid, name)) throw new Error(`${name} (pid ${pid}) is still running after SIGKILL`)
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)))
  })
}

const SERVICE_PORTS: Record<ServiceName, number[]> = {
  redis: [PORTS.redis],
  kafka: [PORTS.kafka, PORTS.kafkaController],
  clickhouse: [PORTS.clickhouseHttp, PORTS.clickhouseNative]
}

async function checkPortsFree(name: ServiceName): Promise<void> {
  for (const port of SERVICE_PORTS[name]) {
    if (!(await portFree(port))) {
      throw new Error(
        `${name}: port ${port} on 127.0.0.1 is already in use by another process ` +
          `(not one started by this launcher). Stop it, or point ${ENV_KEYS[name]} at a running ${name}.`
      )
    }
  }
}

// ---------------------------------------------------------------- configs

function writeRedisConfig(): { cmd: string; args: string[] } {
  const bin = redisServerBinary()
  if (!bin) throw new Error('redis: redis-server not installed (run `up`, which installs it)')
  mkdirSync(dataDir('redis'), { recursive: true })
  return {
    cmd: bin,
    args: [
      '--port', String(PORTS.redis),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', 'no',
      '--daemonize', 'no',
      '--dir', dataDir('redis'),
      '--loglevel', 'notice'
    ]
  }
}

function writeClickhouseConfig(): { cmd: string; args: string[] } {
  const cmd = clickhouseServerCommand()
  if (!cmd) throw new Error('clickhouse: clickhouse-server not installed (run `up`, which installs it)')
  const data = dataDir('clickhouse')
  const conf = join(CONF_DIR, 'clickhouse')
  for (const d of [data, join(data, 'tmp'), join(data, 'user_files'), join(data, 'format_schemas'), conf]) {
    mkdirSync(d, { recursive: true })
  }
  const config = clickhouseConfigXml({ logBase: join(LOG_DIR, 'clickhouse-server'), http: PORTS.clickhouseHttp, native: PORTS.clickhouseNative, data })
  writeFileSync(join(conf, 'config.xml'), config)
  writeFileSync(join(conf, 'users.xml'), CLICKHOUSE_USERS_XML)
  const [bin, ...pre] = cmd as [string, ...string[]]
  return { cmd: bin, args: [...pre, `--config-file=${join(conf, 'config.xml')}`] }
}

const KAFKA_JVM_OPTS = ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true']

function writeKafkaConfig(): { cmd: string; args: string[] } {
  if (!existsSync(KAFKA_LIBS)) throw new Error(`kafka: broker jars missing in ${KAFKA_LIBS} (run \`up\`, which installs them)`)
  const data = join(dataDir('kafka'), 'log')
  const conf = join(CONF_DIR, 'kafka')
  mkdirSync(data, { recursive: true })
  mkdirSync(conf, { recursive: true })
  const props = `# written by test/services (single-node KRaft, loopback only)
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${PORTS.kafkaController}
listeners=PLAINTEXT://127.0.0.1:${PORTS.kafka},CONTROLLER://127.0.0.1:${PORTS.kafkaController}
advertised.listeners=PLAINTEXT://127.0.0.1:${PORTS.kafka}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${data}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=67108864
log.retention.check.interval.ms=300000
`
  const log4j2 = `# written by test/services: warnings and the broker's start/stop lines only
status = warn
name = kafka-test
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRefs = out
rootLogger.appenderRef.out.ref = OUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
logger.broker.name = kafka.server.BrokerServer
logger.broker.level = INFO
logger.controller.name = kafka.server.ControllerServer
logger.controller.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
`
  const propsPath = join(conf, 'server.properties')
  const log4jPath = join(conf, 'log4j2.properties')
  writeFileSync(propsPath, props)
  writeFileSync(log4jPath, log4j2)
  const jvm = [...KAFKA_JVM_OPTS, `-Dlog4j2.configurationFile=${log4jPath}`, '-cp', join(KAFKA_LIBS, '*')]
  // KRaft storage must be formatted once per data directory.
  if (!existsSync(join(data, 'meta.properties'))) {
    // A Kafka cluster id is 16 random bytes in URL-safe base64; like Kafka's own
    // generator, avoid a leading '-' that the tool would read as an option.
    let clusterId = randomBytes(16).toString('base64url')
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url')
    const r = spawnSync(
      'java',
      ['-Xmx256m', `-Dlog4j2.configurationFile=${log4jPath}`, '-cp', join(KAFKA_LIBS, '*'), 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', propsPath, '--ignore-formatted'],
      { encoding: 'utf8' }
    )
    writeFileSync(logFile('kafka'), `$ kafka-storage format -t ${clusterId}\n${r.stdout ?? ''}${r.stderr ?? ''}`, { flag: 'a' })
    if (r.status !== 0) {
      throw new Error(`kafka: formatting KRaft storage failed (exit ${r.status}); see ${rel(logFile('kafka'))}\n${(r.stderr ?? '').slice(-2000)}`)
    }
  }
  return { cmd: 'java', args: [...jvm, 'kafka.Kafka', propsPath] }
}

function commandFor(name: ServiceName): { cmd: string; args: string[] } {
  switch (name) {
    case 'redis':
      return writeRedisConfig()
    case 'kafka':
      return writeKafkaConfig()
    case 'clickhouse':
      return writeClickhouseConfig()
  }
}

// ---------------------------------------------------------------- start / wait

/** Starts the service detached (it outlives this process); returns its pid. */
async function spawnService(name: ServiceName, truncateLog: boolean): Promise<number> {
  await checkPortsFree(name)
  mkdirSync(LOG_DIR, { recursive: true })
  if (truncateLog) writeFileSync(logFile(name), '')
  const { cmd, args } = commandFor(name)
  writeFileSync(logFile(name), `=== ${new Date().toISOString()} starting ${name}: ${cmd} ${args.join(' ')}\n`, { flag: 'a' })
  const fd = openSync(logFile(name), 'a')
  try {
    const child = spawn(cmd, args, { cwd: dataDir(name), detached: true, stdio: ['ignore', fd, fd] })
    const pid = child.pid
    if (pid === undefined) {
      const err = await new Promise<Error>((resolve) => child.once('error', resolve))
      throw new Error(`${name}: could not start ${cmd}: ${err.message}`)
    }
    child.on('error', () => {})
    child.unref()
    writeFileSync(pidFile(name), `${pid}\n`)
    return pid
  } finally {
    closeSync(fd)
  }
}

function logTail(name: ServiceName, lines = 25): string {
  const files = [logFile(name)]
  if (name === 'clickhouse') files.push(join(LOG_DIR, 'clickhouse-server.err.log'))
  const parts: string[] = []
  for (const f of files) {
    try {
      const text = readFileSync(f, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
      if (text) parts.push(`--- last lines of ${rel(f)}:\n${text}`)
    } catch {
      // no log yet
    }
  }
  return parts.join('\n')
}

function logNames(name: ServiceName): string {
  const names = [rel(logFile(name))]
  if (name === 'clickhouse') names.push(rel(join(LOG_DIR, 'clickhouse-server.err.log')))
  return names.join(' and ')
}

/** Polls until the service answers a real request; fails naming the service and its log. */
export async function waitReady(name: ServiceName, url: string, pid?: number, timeoutMs = READY_TIMEOUT_MS[name]): Promise<void> {
  const start = Date.now()
  let lastErr = ''
  for (;;) {
    try {
      await probe(name, url)
      return
    } catch (e) {
      lastErr = e instanceof Error ? e.message : String(e)
    }
    if (pid !== undefined && !isOurProcess(pid, name)) {
      throw new Error(`${name} exited during startup (pid ${pid}); see ${logNames(name)}\n${logTail(name)}`)
    }
    if (Date.now() - start > timeoutMs) {
      const where = pid !== undefined ? `; see ${logNames(name)}\n${logTail(name)}` : ' (external service, not started by this launcher)'
      throw new Error(`${name} did not answer at ${url} within ${Math.round(timeoutMs / 1000)} s (last error: ${lastErr})${where}`)
    }
    await sleep(name === 'kafka' ? 500 : 200)
  }
}

/** Starts one managed service if it is not running; waits until it answers. */
export async function ensureRunning(name: ServiceName, opts: { truncateLog: boolean }): Promise<'running' | 'started'> {
  const url = LOCAL_ENV[ENV_KEYS[name]]
  const existing = readPid(name)
  if (existing !== undefined && isOurProcess(existing, name)) {
    await waitReady(name, url, existing)
    return 'running'
  }
  const pid = await spawnService(name, opts.truncateLog)
  await waitReady(name, url, pid)
  return 'started'
}

function writeEnvFiles(env: ServiceEnv, state: State): void {
  mkdirSync(SERVICES_DIR, { recursive: true })
  writeFileSync(ENV_JSON, `${JSON.stringify(env, null, 2)}\n`)
  writeFileSync(ENV_SHELL, Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n')
  writeFileSync(STATE_JSON, `${JSON.stringify(state, null, 2)}\n`)
}

/** Installs what is missing, starts what is not running, waits for all; returns the settings. */
export async function up(): Promise<ServiceEnv> {
  const t0 = Date.now()
  const external = externalFromEnv()
  const managed = SERVICE_NAMES.filter((n) => external[n] === undefined)
  for (const d of [SERVICES_DIR, DATA_DIR, CONF_DIR, LOG_DIR, ...managed.map(dataDir)]) mkdirSync(d, { recursive: true })
  install(managed)
  installTools()
  const env: ServiceEnv = { ...LOCAL_ENV }
  for (const n of SERVICE_NAMES) if (external[n] !== undefined) env[ENV_KEYS[n]] = external[n]
  const state: State = { external, managed }
  // Written before waiting so `down` can clean up even if a start fails.
  writeEnvFiles(env, state)
  const results = await Promise.allSettled(
    SERVICE_NAMES.map(async (n) => {
      const s = Date.now()
      if (external[n] !== undefined) {
        await waitReady(n, external[n])
        log(`${n}: using external ${external[n]} (${ENV_KEYS[n]} set)`)
        return
      }
      const how = await ensureRunning(n, { truncateLog: true })
      const extra = n === 'kafka' ? ` Kafka ${KAFKA_VERSION}` : ''
      log(`${n}:${extra} ${how === 'running' ? 'already running' : `started in ${((Date.now() - s) / 1000).toFixed(1)} s`}, pid ${readPid(n)}, ${env[ENV_KEYS[n]]}`)
    })
  )
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed.length > 0) {
    throw new Error(failed.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('\n\n'))
  }
  log(`all services up in ${((Date.now() - t0) / 1000).toFixed(1)} s; settings in ${rel(ENV_JSON)}`)
  return env
}

/** Stops one managed service by its pid and waits until it is gone. */
export async function stopManaged(name: ServiceName): Promise<void> {
  const pid = readPid(name)
  if (pid !== undefined) await killAndWait(pid, name)
  try {
    unlinkSync(pidFile(name))
  } catch {
    // no pid file
  }
}

/** How long a running service may take to answer before restoreManaged restarts it. */
const RESTORE_GRACE_MS = 15_000

/**
 * Brings one managed service back to answering: nothing to do when it answers;
 * started when its process is gone; stopped and started when its process is
 * alive but does not answer within RESTORE_GRACE_MS (e.g. still shutting down).
 * Resolves true when it had to start it; throws when it cannot.
 */
export async function restoreManaged(name: ServiceName): Promise<boolean> {
  const url = LOCAL_ENV[ENV_KEYS[name]]
  const pid = readPid(name)
  if (pid !== undefined && isOurProcess(pid, name)) {
    try {
      await waitReady(name, url, pid, RESTORE_GRACE_MS)
      return false
    } catch {
      await stopManaged(name)
    }
  }
  await ensureRunning(name, { truncateLog: false })
  return true
}

/** Stops every process the launcher started and removes data, configs and settings (logs stay). */
export async function down(): Promise<void> {
  const results = await Promise.allSettled(
    SERVICE_NAMES.map(async (n) => {
      const pid = readPid(n)
      await stopManaged(n)
      if (pid !== undefined) log(`${n}: stopped (pid ${pid})`)
    })
  )
  for (const p of [DATA_DIR, CONF_DIR]) rmSync(p, { recursive: true, force: true })
  for (const f of [ENV_JSON, ENV_SHELL, STATE_JSON]) rmSync(f, { force: true })
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed.length > 0) throw new Error(failed.map((f) => String(f.reason)).join('\n'))
}

export interface ServiceStatus {
  name: ServiceName
  mode: 'managed' | 'external' | 'not started'
  url: string
  pid?: number
  running: boolean
  answering: boolean
  error?: string
}

export async function status(): Promise<ServiceStatus[]> {
  const state = readState()
  const env = readEnvFile()
  return Promise.all(
    SERVICE_NAMES.map(async (name): Promise<ServiceStatus> => {
      const ext = state?.external[name]
      const url = ext ?? env?.[ENV_KEYS[name]] ?? LOCAL_ENV[ENV_KEYS[name]]
      const pid = readPid(name)
      const running = ext !== undefined ? true : pid !== undefined && isOurProcess(pid, name)
      let answering = false
      let error: string | undefined
      if (running) {
        try {
          await probe(name, url)
          answering = true
        } catch (e) {
          error = e instanceof Error ? e.message : String(e)
        }
      }
      const mode = ext !== undefined ? 'external' : state?.managed.includes(name) ? 'managed' : 'not started'
      return { name, mode, url, ...(pid !== undefined && ext === undefined ? { pid } : {}), running, answering, ...(error ? { error } : {}) }
    })
  )
}

export { REPO_ROOT, isOurProcess, readPid, readState, type State }
