// Installs what the launcher needs and the machine lacks: redis-server,
// redis-sentinel (the failover tests' sentinels) and clickhouse-server from
// Debian, the Kafka broker jars from Maven Central; and the tools some tests
// drive: Debian's chromium (the console's browser tests), prometheus (its
// promtool checks the alert rules) and prometheus-pushgateway (receives the monitor's gauges).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { INSTALL_LOG_DIR, KAFKA_HOME, KAFKA_LIBS, KAFKA_VERSION, type ServiceName } from './paths.js'

/** log4j 2 binding for the broker's slf4j logging (Kafka 4.x ships log4j 2). */
const LOG4J_VERSION = '2.24.3'
/** Pinned so Maven's nearest-wins does not pick an slf4j 1.7 that the log4j binding cannot serve. */
const SLF4J_VERSION = '2.0.17'

function log(msg: string): void {
  process.stderr.write(`[services] ${msg}\n`)
}

/** Full path of an executable on PATH (plus the sbin folders), or undefined. */
export function which(cmd: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin', '/bin'])
  for (const d of dirs) {
    if (!d) continue
    const p = join(d, cmd)
    if (existsSync(p)) return p
  }
  return undefined
}

/** Runs a command, output into a log file; throws with the log tail on failure. */
function run(cmd: string, args: string[], logName: string, env?: NodeJS.ProcessEnv): void {
  mkdirSync(INSTALL_LOG_DIR, { recursive: true })
  const logPath = join(INSTALL_LOG_DIR, logName)
  const r = spawnSync(cmd, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024
  })
  const out = `$ ${cmd} ${args.join(' ')}\n${r.stdout?.toString() ?? ''}${r.stderr?.toString() ?? ''}\n`
  writeFileSync(logPath, out, { flag: 'a' })
  if (r.error || r.status !== 0) {
    const tail = out.split('\n').slice(-30).join('\n')
    throw new Error(
      `install: '${cmd} ${args.join(' ')}' failed (${r.error?.message ?? `exit ${r.status}`}); log: ${logPath}\n${tail}`
    )
  }
}

export function redisServerBinary(): string | undefined {
  return which('redis-server')
}

/** Debian's redis-sentinel package: the sentinel mode of the same server, with its own command. */
export function redisSentinelBinary(): string | undefined {
  return which('redis-sentinel')
}

/** The ClickHouse server command: `clickhouse-server` or `clickhouse server`. */
export function clickhouseServerCommand(): string[] | undefined {
  const s = which('clickhouse-server')
  if (s) return [s]
  const c = which('clickhouse')
  if (c) return [c, 'server']
  return undefined
}

let aptUpdated = false

/** apt-get install without letting the packages start their system services. */
export function aptInstall(pkgs: string[]): void {
  if (!which('apt-get')) throw new Error(`install: apt-get not found; install ${pkgs.join(', ')} by hand`)
  const env = { DEBIAN_FRONTEND: 'noninteractive' }
  // policy-rc.d exit 101 tells invoke-rc.d not to start services the packages bring.
  const policy = '/usr/sbin/policy-rc.d'
  const ownPolicy = !existsSync(policy)
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\n# temporary: do not start services during install\nexit 101\n', { mode: 0o755 })
  try {
    if (!aptUpdated) {
      log('apt-get update')
      run('apt-get', ['update'], 'apt.log', env)
      aptUpdated = true
    }
    log(`apt-get install -y ${pkgs.join(' ')}`)
    run('apt-get', ['install', '-y', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', ...pkgs], 'apt.log', env)
  } finally {
    if (ownPolicy) {
      try {
        unlinkSync(policy)
      } catch {
        // already gone
      }
    }
  }
  stopSystemServices()
}

/** The system user each Debian package runs its own service as. */
const SYSTEM_SERVICES = [
  { daemon: '/usr/bin/redis-server', user: 'redis' },
  { daemon: '/usr/bin/redis-sentinel', user: 'redis' },
  { daemon: '/usr/sbin/clickhouse-server', user: 'clickhouse' },
  { daemon: '/usr/bin/prometheus', user: 'prometheus' },
  { daemon: '/usr/bin/prometheus-pushgateway', user: 'prometheus' }
] as const

/**
 * Belt and braces: if a package's system service did start anyway, stop it; we
 * run our own. Never `service clickhouse-server stop`: Debian's init script
 * ends with `start-stop-daemon --stop --retry=0/30/KILL/5 --exec
 * /usr/sbin/clickhouse-server` (no --user, no pid file), which SIGKILLs every
 * ClickHouse on the machine 30 s later, ours and every other checkout's, with
 * nothing in their logs. Only processes of the package's own user are stopped.
 */
function stopSystemServices(): void {
  if (existsSync('/run/systemd/system')) {
    spawnSync('systemctl', ['disable', '--now', 'redis-server', 'redis-sentinel', 'clickhouse-server', 'prometheus'], { stdio: 'ignore' })
    return
  }
  if (!which('start-stop-daemon')) return
  for (const s of SYSTEM_SERVICES) {
    if (!existsSync(s.daemon)) continue
    spawnSync('start-stop-daemon', ['--stop', '--quiet', '--oknodo', '--retry=TERM/10/KILL/5', '--user', s.user, '--exec', s.daemon], { stdio: 'ignore' })
  }
}

function kafkaInstalled(): boolean {
  if (!existsSync(join(KAFKA_HOME, '.complete'))) return false
  try {
    return readdirSync(KAFKA_LIBS).some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`))
  } catch {
    return false
  }
}

function kafkaPom(): string {
  const dep = (g: string, a: string, v: string): string =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.model-gateway</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>${KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
${dep('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION)}
${dep('org.slf4j', 'slf4j-api', SLF4J_VERSION)}
${dep('org.apache.logging.log4j', 'log4j-slf4j2-impl', LOG4J_VERSION)}
${dep('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION)}
  </dependencies>
</project>
`
}

function installKafka(): void {
  if (kafkaInstalled()) return
  if (!which('java')) throw new Error('install: java not found (Kafka needs Java 17+); apt-get install -y openjdk-17-jre-headless')
  if (!which('mvn')) throw new Error('install: mvn not found; apt-get install -y maven')
  log(`Kafka ${KAFKA_VERSION}: fetching broker jars from Maven Central into ${KAFKA_HOME}/libs`)
  rmSync(KAFKA_HOME, { recursive: true, force: true })
  mkdirSync(KAFKA_HOME, { recursive: true })
  writeFileSync(join(KAFKA_HOME, 'pom.xml'), kafkaPom())
  const tmpLibs = join(KAFKA_HOME, 'libs.tmp')
  run(
    'mvn',
    [
      '-B', '-q', '-f', join(KAFKA_HOME, 'pom.xml'),
      'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${tmpLibs}`
    ],
    `kafka-${KAFKA_VERSION}-maven.log`
  )
  renameSync(tmpLibs, KAFKA_LIBS)
  writeFileSync(join(KAFKA_HOME, '.complete'), `${new Date().toISOString()}\n`)
}

/** Installs what the given (locally managed) services need. Idempotent and quick when present. */
export function install(services: readonly ServiceName[]): void {
  const apt: string[] = []
  if (services.includes('redis') && !redisServerBinary()) apt.push('redis-server')
  if (services.includes('redis') && !redisSentinelBinary()) apt.push('redis-sentinel')
  if (services.includes('clickhouse') && !clickhouseServerCommand()) apt.push('clickhouse-server', 'clickhouse-client')
  if (apt.length > 0) {
    const t0 = Date.now()
    aptInstall(apt)
    log(`apt install took ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    if (services.includes('redis') && !redisServerBinary()) throw new Error('install: redis-server still missing after apt-get install')
    if (services.includes('redis') && !redisSentinelBinary()) throw new Error('install: redis-sentinel still missing after apt-get install')
    if (services.includes('clickhouse') && !clickhouseServerCommand()) throw new Error('install: clickhouse-server still missing after apt-get install')
  }
  if (services.includes('kafka')) {
    const t0 = Date.now()
    const had = kafkaInstalled()
    installKafka()
    if (!had) log(`Kafka jars took ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
}

/** The browser the console tests drive: Debian's package, never a downloaded build. */
export const CHROMIUM = '/usr/bin/chromium'

/** Installs chromium, promtool (Debian's prometheus package) and a Pushgateway (the monitor's gauges) when missing. Idempotent. */
export function installTools(): void {
  const apt: string[] = []
  if (!existsSync(CHROMIUM)) apt.push('chromium')
  if (!which('promtool')) apt.push('prometheus')
  if (!which('prometheus-pushgateway')) apt.push('prometheus-pushgateway')
  if (apt.length === 0) return
  const t0 = Date.now()
  aptInstall(apt)
  log(`apt install took ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  if (!existsSync(CHROMIUM)) throw new Error(`install: ${CHROMIUM} still missing after apt-get install chromium`)
  if (!which('promtool')) throw new Error('install: promtool still missing after apt-get install prometheus')
  if (!which('prometheus-pushgateway')) throw new Error('install: prometheus-pushgateway still missing after apt-get install prometheus-pushgateway')
}

/** For diagnostics: the installed Kafka jar names. */
export function kafkaJars(): string[] {
  return existsSync(KAFKA_LIBS) ? readdirSync(KAFKA_LIBS) : []
}

export function readIfExists(p: string): string {
  try {
    return readFileSync(p, 'utf8')
  } catch {
    return ''
  }
}
