// Private, secured servers for the tests of client-side TLS and authentication,
// started by the test that needs them (not part of `up`, so the shared servers
// stay plain):
//  - a Kafka broker (KRaft, same jars as `up`) whose only client listener is
//    SASL_SSL with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512; SCRAM users are
//    created by `kafka-storage format --add-scram`, PLAIN users in the JAAS line;
//  - a ClickHouse server (Debian 18.16) with an https port only and a user with
//    a password;
//  - a Redis server with a TLS port only and an ACL user (the default user off).
// Certificates are made with openssl at run time in the caller's folder: a CA
// and a server certificate for 127.0.0.1 and localhost (PEM; Kafka reads a PEM
// keystore, so no keytool). Ports shift with SERVICES_PORT_OFFSET; their last
// two digits differ from those of `up` and cluster.ts. Pid files live in
// .services/secure so a run that died is cleaned up by the next one.
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { Kafka, logLevel } from 'kafkajs'
import { clickhouseConfigXml } from './clickhouse-xml.js'
import { clickhouseServerCommand, redisServerBinary, which } from './install.js'
import { KAFKA_LIBS, OFFSET, SERVICES_DIR } from './paths.js'
import { runningWith } from './pid-check.js'

export const SECURE_PORTS = {
  kafka: 19061 + OFFSET,
  kafkaInternal: 19062 + OFFSET,
  kafkaController: 19063 + OFFSET,
  clickhouseHttps: 18164 + OFFSET,
  clickhouseNative: 19066 + OFFSET,
  redisTls: 16367 + OFFSET
} as const

const PID_DIR = join(SERVICES_DIR, 'secure')
type Proc = 'kafka' | 'clickhouse' | 'redis'
const MARKER: Record<Proc, string> = { kafka: 'kafka.Kafka', clickhouse: 'clickhouse', redis: 'redis-server' }

export interface Certs {
  /** CA certificate (PEM) that clients trust. */
  ca: string
  /** Server certificate and key (PEM), for 127.0.0.1 and localhost. */
  cert: string
  key: string
}

export interface SecureServer {
  /** Brokers "host:port", an https:// URL or a rediss:// URL. */
  address: string
  /** Its log file, for a failing test to quote. */
  log: string
  stop (): Promise<void>
}

function openssl (args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`secure: openssl ${args[0]} failed: ${r.stderr}`)
}

/** A throwaway CA and a server certificate signed by it, in `dir`. */
export function makeCerts (dir: string): Certs {
  if (which('openssl') === undefined) throw new Error('secure: openssl not found (apt-get install -y openssl)')
  mkdirSync(dir, { recursive: true })
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=model-gateway test CA'], dir)
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir)
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n')
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'], dir)
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') }
}

/** A pid file holds the pid and the process's folder: another checkout's server of the same kind is never ours. */
function ours (pid: number, p: Proc, cwd: string | undefined): boolean {
  return cwd !== undefined && runningWith(pid, MARKER[p], cwd)
}

/** Stops the process a pid file names (ours only), SIGKILL after 15 s. */
async function stopPid (p: Proc): Promise<void> {
  const file = join(PID_DIR, `${p}.pid`)
  let pid: number
  let cwd: string | undefined
  try {
    const [first, second] = readFileSync(file, 'utf8').split('\n')
    pid = Number.parseInt(first!, 10)
    cwd = second === '' ? undefined : second
  } catch {
    return
  }
  if (Number.isInteger(pid) && pid > 0 && ours(pid, p, cwd)) {
    process.kill(pid, 'SIGTERM')
    const deadline = Date.now() + 15_000
    while (ours(pid, p, cwd) && Date.now() < deadline) await sleep(100)
    if (ours(pid, p, cwd)) process.kill(pid, 'SIGKILL')
    for (let i = 0; i < 200 && ours(pid, p, cwd); i++) await sleep(50)
  }
  rmSync(file, { force: true })
}

async function launch (p: Proc, cmd: string, args: string[], cwd: string, log: string, ready: () => Promise<void>, timeoutMs: number): Promise<SecureServer> {
  await stopPid(p)
  mkdirSync(PID_DIR, { recursive: true })
  const fd = openSync(log, 'a')
  let pid: number | undefined
  try {
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', fd, fd] })
    child.on('error', () => {})
    pid = child.pid
    if (pid === undefined) throw new Error(`secure: could not start ${cmd}`)
    child.unref()
    writeFileSync(join(PID_DIR, `${p}.pid`), `${pid}\n${realpathSync(cwd)}\n`)
  } finally {
    closeSync(fd)
  }
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    try {
      await ready()
      break
    } catch (err) {
      last = (err as Error).message
    }
    if (!ours(pid, p, realpathSync(cwd)) || Date.now() > deadline) {
      await stopPid(p)
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-25).join('\n') : ''
      throw new Error(`secure: ${p} did not come up (last error: ${last}); see ${log}\n${tail}`)
    }
    await sleep(500)
  }
  return { address: '', log, stop: () => stopPid(p) }
}

export interface KafkaUsers {
  plain?: Record<string, string>
  'scram-sha-256'?: Record<string, string>
  'scram-sha-512'?: Record<string, string>
}

/** A single-node KRaft broker whose client listener is SASL_SSL only. */
export async function startSecureKafka (dir: string, certs: Certs, users: KafkaUsers): Promise<SecureServer> {
  if (!existsSync(KAFKA_LIBS)) throw new Error(`secure: Kafka jars missing in ${KAFKA_LIBS} (run \`npm run services:up\` once)`)
  const data = join(dir, 'kafka-data')
  mkdirSync(data, { recursive: true })
  const keystore = join(dir, 'kafka-keystore.pem')
  writeFileSync(keystore, readFileSync(certs.key, 'utf8') + readFileSync(certs.cert, 'utf8'))
  const plainUsers = Object.entries(users.plain ?? {}).map(([u, pw]) => `user_${u}="${pw}"`).join(' ')
  const P = SECURE_PORTS
  const props = join(dir, 'kafka.properties')
  writeFileSync(props, `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${P.kafkaController}
listeners=SASL_SSL://127.0.0.1:${P.kafka},INTERNAL://127.0.0.1:${P.kafkaInternal},CONTROLLER://127.0.0.1:${P.kafkaController}
advertised.listeners=SASL_SSL://127.0.0.1:${P.kafka},INTERNAL://127.0.0.1:${P.kafkaInternal}
controller.listener.names=CONTROLLER
inter.broker.listener.name=INTERNAL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=${keystore}
ssl.client.auth=none
log.dirs=${data}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=2
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
`)
  const cp = ['-cp', join(KAFKA_LIBS, '*')]
  const scram = [...Object.entries(users['scram-sha-256'] ?? {}).map(([u, pw]) => `SCRAM-SHA-256=[name=${u},password=${pw}]`),
    ...Object.entries(users['scram-sha-512'] ?? {}).map(([u, pw]) => `SCRAM-SHA-512=[name=${u},password=${pw}]`)]
  const format = spawnSync('java', ['-Xmx256m', ...cp, 'kafka.tools.StorageTool', 'format', '--cluster-id=bW9kZWwtZ2F0ZXdheS10cw', '-c', props, ...scram.flatMap(s => ['--add-scram', s])], { encoding: 'utf8' })
  if (format.status !== 0) throw new Error(`secure: kafka-storage format failed: ${format.stderr.slice(-2000)}`)
  const brokers = `127.0.0.1:${P.kafka}`
  const [mechanism, creds] = (Object.entries(users).find(([, u]) => Object.keys(u ?? {}).length > 0) ?? []) as [keyof KafkaUsers, Record<string, string>]
  const [username, password] = Object.entries(creds)[0]!
  const ready = async (): Promise<void> => {
    const kafka = new Kafka({ clientId: 'secure-probe', brokers: [brokers], ssl: { ca: [readFileSync(certs.ca)] }, sasl: { mechanism, username, password } as never, logLevel: logLevel.NOTHING, connectionTimeout: 2000, retry: { retries: 0 } })
    const admin = kafka.admin()
    try {
      await admin.connect()
      await admin.describeCluster()
      await admin.describeGroups(['secure-probe-warmup'])
    } finally {
      await admin.disconnect().catch(() => {})
    }
  }
  const log = join(dir, 'kafka.log')
  const s = await launch('kafka', 'java', ['-Xms128m', '-Xmx384m', '-XX:+UseG1GC', ...cp, 'kafka.Kafka', props], dir, log, ready, 120_000)
  return { ...s, address: brokers }
}

/** ClickHouse 18.16 serving https only, with one user and password. */
export async function startSecureClickhouse (dir: string, certs: Certs, user: string, password: string): Promise<SecureServer> {
  const cmd = clickhouseServerCommand()
  if (!cmd) throw new Error('secure: clickhouse-server not installed (run `npm run services:up` once)')
  const home = join(dir, 'clickhouse')
  const data = join(home, 'data')
  for (const d of [data, join(data, 'tmp'), join(data, 'user_files'), join(data, 'format_schemas')]) mkdirSync(d, { recursive: true })
  const P = SECURE_PORTS
  const tls = `    <https_port>${P.clickhouseHttps}</https_port>
    <openSSL>
        <server>
            <certificateFile>${certs.cert}</certificateFile>
            <privateKeyFile>${certs.key}</privateKeyFile>
            <verificationMode>none</verificationMode>
            <loadDefaultCAFile>false</loadDefaultCAFile>
            <cacheSessions>true</cacheSessions>
            <disableProtocols>sslv2,sslv3</disableProtocols>
            <preferServerCiphers>true</preferServerCiphers>
        </server>
    </openSSL>
`
  // The shared template has an http_port; this server answers https only.
  const config = clickhouseConfigXml({ logBase: join(home, 'server'), http: 0, native: P.clickhouseNative, data, extra: tls })
    .replace(/\s*<http_port>0<\/http_port>/, '')
  writeFileSync(join(home, 'config.xml'), config)
  writeFileSync(join(home, 'users.xml'), usersXml(user, password))
  const url = `https://127.0.0.1:${P.clickhouseHttps}`
  const ca = readFileSync(certs.ca)
  const ready = (): Promise<void> => new Promise((resolve, reject) => {
    const req = request(`${url}/?query=SELECT%201`, { ca, auth: `${user}:${password}`, timeout: 3000 }, (res) => {
      res.resume()
      res.on('end', () => {
        if (res.statusCode === 200) resolve()
        else reject(new Error(`status ${res.statusCode}`))
      })
    })
    req.on('error', reject)
    req.on('timeout', () => { req.destroy(new Error('timeout')) })
    req.end()
  })
  const [bin, ...pre] = cmd as [string, ...string[]]
  const s = await launch('clickhouse', bin, [...pre, `--config-file=${join(home, 'config.xml')}`], home, join(home, 'server.log'), ready, 60_000)
  return { ...s, address: url }
}

function usersXml (user: string, password: string): string {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  return `<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
    <users>
        <${user}>
            <password>${esc(password)}</password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </${user}>
    </users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`
}

/** Redis serving TLS only, the default user off, one ACL user with a password. */
export async function startSecureRedis (dir: string, certs: Certs, user: string, password: string): Promise<SecureServer> {
  const bin = redisServerBinary()
  if (!bin) throw new Error('secure: redis-server not installed (run `npm run services:up` once)')
  const home = join(dir, 'redis')
  mkdirSync(home, { recursive: true })
  writeFileSync(join(home, 'users.acl'), `user default off\nuser ${user} on >${password} ~* &* +@all\n`)
  const P = SECURE_PORTS
  const url = `rediss://127.0.0.1:${P.redisTls}`
  const ready = async (): Promise<void> => {
    const r = new Redis(url, { username: user, password, tls: { ca: readFileSync(certs.ca) }, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null })
    r.on('error', () => {})
    try {
      await r.connect()
      await r.ping()
    } finally {
      r.disconnect()
    }
  }
  const s = await launch('redis', bin, ['--port', '0', '--tls-port', String(P.redisTls), '--bind', '127.0.0.1', '--tls-cert-file', certs.cert, '--tls-key-file', certs.key,
    '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no', '--aclfile', join(home, 'users.acl'), '--dir', home], home, join(home, 'redis.log'), ready, 20_000)
  return { ...s, address: url }
}
