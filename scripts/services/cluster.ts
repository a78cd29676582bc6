// Optional services for the ClickHouse cluster test: one ZooKeeper (Debian
// `zookeeper`) and two ClickHouse servers (Debian `clickhouse-server`) on
// loopback, forming cluster `mg` of two shards. Not part of `up`: the test that
// needs them calls clusterUp()/clusterDown() itself. Ports shift with
// SERVICES_PORT_OFFSET like the others; their last two digits differ from the
// main services' so checkouts whose offsets differ by hundreds never collide.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CLICKHOUSE_USERS_XML, clickhouseConfigXml } from './clickhouse-xml.js'
import { aptInstall, clickhouseServerCommand, which } from './install.js'
import { OFFSET, SERVICES_DIR } from './paths.js'
import { probeClickhouse } from './probes.js'
import { runningWith } from './pid-check.js'

export const CLUSTER_NAME = 'mg'
const ZK_JARS = '/usr/share/java/zookeeper.jar'
const ROOT = join(SERVICES_DIR, 'cluster')
/** How long one `srvr` question to ZooKeeper may go unanswered before it is asked again. */
const ZK_PROBE_TIMEOUT_MS = 2_000

export const CLUSTER_PORTS = {
  zookeeper: 12141 + OFFSET,
  nodes: [
    { http: 18141 + OFFSET, native: 19041 + OFFSET, interserver: 19051 + OFFSET },
    { http: 18142 + OFFSET, native: 19042 + OFFSET, interserver: 19052 + OFFSET }
  ]
} as const

export interface ClusterEnv {
  cluster: string
  zookeeper: string
  /** HTTP URLs of the ClickHouse servers, shard 1 then shard 2. */
  clickhouse: string[]
}

type Proc = 'zookeeper' | 'ch1' | 'ch2'
const PROCS: readonly Proc[] = ['zookeeper', 'ch1', 'ch2']
const MARKER: Record<Proc, string> = { zookeeper: 'zookeeper', ch1: 'clickhouse', ch2: 'clickhouse' }
const pidPath = (p: Proc): string => join(ROOT, `${p}.pid`)
const logPath = (p: Proc): string => join(ROOT, 'logs', `${p}.log`)

function log (msg: string): void {
  process.stderr.write(`[services:cluster] ${msg}\n`)
}

function ours (pid: number, p: Proc): boolean {
  // Ours run in their own folder: a recycled pid may be another checkout's server of the same kind.
  return runningWith(pid, MARKER[p], join(ROOT, p))
}

function readPid (p: Proc): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(pidPath(p), 'utf8'), 10)
    return Number.isInteger(n) && n > 0 ? n : undefined
  } catch {
    return undefined
  }
}

function install (): void {
  const missing: string[] = []
  if (!existsSync(ZK_JARS)) missing.push('zookeeper')
  if (!clickhouseServerCommand()) missing.push('clickhouse-server', 'clickhouse-client')
  if (missing.length > 0) aptInstall(missing)
  if (!which('java')) throw new Error('cluster: java not found (ZooKeeper needs it); apt-get install -y openjdk-17-jre-headless')
}

function start (p: Proc, cmd: string, args: string[], cwd: string): void {
  mkdirSync(join(ROOT, 'logs'), { recursive: true })
  const fd = openSync(logPath(p), 'a')
  try {
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', fd, fd] })
    child.on('error', () => {})
    if (child.pid === undefined) throw new Error(`cluster: could not start ${cmd}`)
    child.unref()
    writeFileSync(pidPath(p), `${child.pid}\n`)
  } finally {
    closeSync(fd)
  }
}

function startZookeeper (): void {
  const dir = join(ROOT, 'zookeeper')
  mkdirSync(join(dir, 'data'), { recursive: true })
  const cfg = join(dir, 'zoo.cfg')
  writeFileSync(cfg, [
    'tickTime=2000', `dataDir=${join(dir, 'data')}`, `clientPort=${CLUSTER_PORTS.zookeeper}`,
    'clientPortAddress=127.0.0.1', 'maxClientCnxns=100', 'admin.enableServer=false', '4lw.commands.whitelist=ruok,srvr', ''
  ].join('\n'))
  start('zookeeper', 'java', ['-Xmx256m', '-Dzookeeper.log.dir=' + join(ROOT, 'logs'), '-cp', `/etc/zookeeper/conf:${ZK_JARS}`,
    'org.apache.zookeeper.server.ZooKeeperServerMain', cfg], dir)
}

/** remote_servers, macros, ZooKeeper and distributed DDL: what ON CLUSTER and Replicated tables need. */
function clusterXml (shard: number): string {
  const shards = CLUSTER_PORTS.nodes.map(n => `            <shard><internal_replication>true</internal_replication><replica><host>127.0.0.1</host><port>${n.native}</port></replica></shard>`).join('\n')
  return `    <interserver_http_host>127.0.0.1</interserver_http_host>
    <interserver_http_port>${CLUSTER_PORTS.nodes[shard - 1]!.interserver}</interserver_http_port>
    <remote_servers>
        <${CLUSTER_NAME}>
${shards}
        </${CLUSTER_NAME}>
    </remote_servers>
    <zookeeper>
        <node><host>127.0.0.1</host><port>${CLUSTER_PORTS.zookeeper}</port></node>
        <session_timeout_ms>30000</session_timeout_ms>
    </zookeeper>
    <macros>
        <shard>${String(shard).padStart(2, '0')}</shard>
        <replica>ch${shard}</replica>
    </macros>
    <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
`
}

function startClickhouse (shard: 1 | 2): void {
  const cmd = clickhouseServerCommand()
  if (!cmd) throw new Error('cluster: clickhouse-server not installed')
  const p: Proc = shard === 1 ? 'ch1' : 'ch2'
  const dir = join(ROOT, p)
  const data = join(dir, 'data')
  for (const d of [data, join(data, 'tmp'), join(data, 'user_files'), join(data, 'format_schemas')]) mkdirSync(d, { recursive: true })
  const n = CLUSTER_PORTS.nodes[shard - 1]!
  writeFileSync(join(dir, 'config.xml'), clickhouseConfigXml({ logBase: join(ROOT, 'logs', `${p}-server`), http: n.http, native: n.native, data, extra: clusterXml(shard) }))
  writeFileSync(join(dir, 'users.xml'), CLICKHOUSE_USERS_XML)
  const [bin, ...pre] = cmd as [string, ...string[]]
  start(p, bin, [...pre, `--config-file=${join(dir, 'config.xml')}`], dir)
}

/**
 * ZooKeeper serves sessions once `srvr` reports its mode; `ruok` answers
 * earlier. ClickHouse 18.16 crashed (SIGSEGV in zkutil) when its first
 * session was refused, so the servers start only after this.
 */
function zkOk (): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port: CLUSTER_PORTS.zookeeper, timeout: ZK_PROBE_TIMEOUT_MS }, () => s.end('srvr'))
    let got = ''
    s.setEncoding('utf8').on('data', (c: string) => { got += c })
    s.on('close', () => { resolve(/^Mode: standalone$/m.test(got)) })
    s.on('error', () => { resolve(false) })
    // A starting JVM may accept the connection and not answer yet: without this the wait never ends.
    s.on('timeout', () => { s.destroy() })
  })
}

async function waitFor (what: Proc, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    const pid = readPid(what)
    if (pid === undefined || !ours(pid, what)) break
    await sleep(250)
  }
  const tail = existsSync(logPath(what)) ? readFileSync(logPath(what), 'utf8').split('\n').slice(-20).join('\n') : ''
  throw new Error(`cluster: ${what} did not come up; see ${logPath(what)}\n${tail}`)
}

export function clusterEnv (): ClusterEnv {
  return {
    cluster: CLUSTER_NAME,
    zookeeper: `127.0.0.1:${CLUSTER_PORTS.zookeeper}`,
    clickhouse: CLUSTER_PORTS.nodes.map(n => `http://127.0.0.1:${n.http}`)
  }
}

/** Installs what is missing, starts ZooKeeper and the two servers, waits until all answer. */
export async function clusterUp (): Promise<ClusterEnv> {
  install()
  await clusterDown()
  const t0 = Date.now()
  startZookeeper()
  await waitFor('zookeeper', zkOk, 60_000)
  startClickhouse(1)
  startClickhouse(2)
  const env = clusterEnv()
  await Promise.all([
    waitFor('ch1', async () => { await probeClickhouse(env.clickhouse[0]!); return true }, 60_000),
    waitFor('ch2', async () => { await probeClickhouse(env.clickhouse[1]!); return true }, 60_000)
  ])
  log(`ZooKeeper ${env.zookeeper} and ClickHouse ${env.clickhouse.join(', ')} up in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  return env
}

/** Stops what clusterUp started (by pid) and removes its data; logs stay. */
export async function clusterDown (): Promise<void> {
  for (const p of PROCS) {
    const pid = readPid(p)
    if (pid === undefined) continue
    if (ours(pid, p)) process.kill(pid, 'SIGTERM')
    const deadline = Date.now() + 15_000
    while (ours(pid, p) && Date.now() < deadline) await sleep(100)
    if (ours(pid, p)) process.kill(pid, 'SIGKILL')
    for (let i = 0; i < 200 && ours(pid, p); i++) await sleep(50)
    rmSync(pidPath(p), { force: true })
  }
  for (const d of ['zookeeper', 'ch1', 'ch2']) rmSync(join(ROOT, d), { recursive: true, force: true })
}
