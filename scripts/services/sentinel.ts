// Optional services for the failover test: a Redis primary with two replicas
// and three sentinels (Debian `redis-server` and `redis-sentinel`) on loopback,
// monitoring the primary as SENTINEL_NAME with quorum 2. Not part of `up`: the
// test that needs them calls sentinelUp()/sentinelDown() itself. Ports shift
// with SERVICES_PORT_OFFSET like the others; their last two digits differ from
// the main services' so checkouts whose offsets differ by hundreds never collide.
//
// Every server refuses writes unless one replica is connected
// (min-replicas-to-write 1), so a primary cut off from its replicas stops
// taking writes it could lose; a promoted replica still has the other one.
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { install, redisSentinelBinary, redisServerBinary } from './install.js'
import { OFFSET, SERVICES_DIR } from './paths.js'

export const SENTINEL_NAME = 'mg-primary'
const ROOT = join(SERVICES_DIR, 'sentinel')
const NODES = [16381, 16382, 16383].map(p => p + OFFSET)
const SENTINELS = [26381, 26382, 26383].map(p => p + OFFSET)
/** How long sentinels wait before they call a silent primary down. */
export const DOWN_AFTER_MS = 1_000

export interface SentinelEnv {
  name: string
  /** "127.0.0.1:port" of each sentinel. */
  sentinels: string[]
  /** Redis ports, the first one the primary at start. */
  nodes: number[]
}

type Proc = `node-${number}` | `sentinel-${number}`
const pidPath = (p: Proc): string => join(ROOT, `${p}.pid`)
const logPath = (p: Proc): string => join(ROOT, 'logs', `${p}.log`)

function log (msg: string): void {
  process.stderr.write(`[services:sentinel] ${msg}\n`)
}

function readPid (p: Proc): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(pidPath(p), 'utf8'), 10)
    return Number.isInteger(n) && n > 0 ? n : undefined
  } catch {
    return undefined
  }
}

function alive (pid: number, p: Proc): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    if (/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))) return false
    // Ours run in their own folder: pids wrap within minutes here, and a stale pid may name another checkout's Redis.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis') && readlinkSync(`/proc/${pid}/cwd`) === realpathSync(join(ROOT, p))
  } catch {
    return false
  }
}

function start (p: Proc, cmd: string, args: string[], cwd: string): void {
  mkdirSync(join(ROOT, 'logs'), { recursive: true })
  const fd = openSync(logPath(p), 'a')
  try {
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', fd, fd] })
    child.on('error', () => {})
    if (child.pid === undefined) throw new Error(`sentinel: could not start ${cmd}`)
    child.unref()
    writeFileSync(pidPath(p), `${child.pid}\n`)
  } finally {
    closeSync(fd)
  }
}

function startNode (i: number): void {
  const port = NODES[i]!
  const dir = join(ROOT, `node-${port}`)
  mkdirSync(dir, { recursive: true })
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir,
    '--min-replicas-to-write', '1', '--min-replicas-max-lag', '10']
  if (i > 0) args.push('--replicaof', '127.0.0.1', String(NODES[0]))
  start(`node-${port}`, redisServerBinary()!, args, dir)
}

function startSentinel (i: number): void {
  const port = SENTINELS[i]!
  const dir = join(ROOT, `sentinel-${port}`)
  mkdirSync(dir, { recursive: true })
  // Sentinels rewrite their config file as they learn the topology: it must be a file of their own.
  const conf = join(dir, 'sentinel.conf')
  writeFileSync(conf, [
    `port ${port}`, 'bind 127.0.0.1', 'daemonize no', `dir ${dir}`,
    `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${NODES[0]} 2`,
    `sentinel down-after-milliseconds ${SENTINEL_NAME} ${DOWN_AFTER_MS}`,
    `sentinel failover-timeout ${SENTINEL_NAME} 10000`,
    `sentinel parallel-syncs ${SENTINEL_NAME} 1`, ''
  ].join('\n'))
  start(`sentinel-${port}`, redisSentinelBinary()!, [conf], dir)
}

async function until (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    try {
      if (await check()) return
    } catch (err) {
      last = (err as Error).message
    }
    await sleep(200)
  }
  throw new Error(`sentinel: ${what} not ready in ${timeoutMs / 1000} s (${last}); logs in ${join(ROOT, 'logs')}`)
}

async function ask<T> (port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 })
  r.on('error', () => {})
  try {
    await r.connect()
    return await fn(r)
  } finally {
    r.disconnect()
  }
}

export function sentinelEnv (): SentinelEnv {
  return { name: SENTINEL_NAME, sentinels: SENTINELS.map(p => `127.0.0.1:${p}`), nodes: [...NODES] }
}

/** The port of the server the sentinels name as primary now. */
export async function currentPrimary (): Promise<number> {
  const addr = await ask(SENTINELS[0]!, r => r.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_NAME)) as [string, string]
  return Number(addr[1])
}

/** Installs what is missing, starts the three servers and three sentinels, waits until replication and the quorum are up. */
export async function sentinelUp (): Promise<SentinelEnv> {
  install(['redis'])
  await sentinelDown()
  const t0 = Date.now()
  NODES.forEach((_, i) => { startNode(i) })
  for (const port of NODES.slice(1)) {
    await until(`replica ${port}`, () => ask(port, async r => (await r.info('replication')).includes('master_link_status:up')), 30_000)
  }
  SENTINELS.forEach((_, i) => { startSentinel(i) })
  // CKQUORUM answers OK once enough sentinels know each other to authorise a failover.
  for (const port of SENTINELS) {
    await until(`sentinel ${port}`, () => ask(port, async r => String(await r.call('SENTINEL', 'CKQUORUM', SENTINEL_NAME)).startsWith('OK')), 30_000)
  }
  log(`primary ${NODES[0]} with replicas ${NODES.slice(1).join(', ')}, sentinels ${SENTINELS.join(', ')} up in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  return sentinelEnv()
}

/** SIGKILLs the server on `port` (a crash: no goodbye to replicas or sentinels); returns when it is gone. */
export async function killNode (port: number): Promise<void> {
  const pid = readPid(`node-${port}`)
  if (pid === undefined || !alive(pid, `node-${port}`)) throw new Error(`sentinel: no server running on ${port}`)
  process.kill(pid, 'SIGKILL')
  for (let i = 0; i < 200 && alive(pid, `node-${port}`); i++) await sleep(25)
}

/** Stops everything sentinelUp started (by pid) and removes its data; logs stay. */
export async function sentinelDown (): Promise<void> {
  const procs: Proc[] = [...SENTINELS.map(p => `sentinel-${p}` as const), ...NODES.map(p => `node-${p}` as const)]
  for (const p of procs) {
    const pid = readPid(p)
    if (pid !== undefined && alive(pid, p)) {
      process.kill(pid, 'SIGTERM')
      for (let i = 0; i < 100 && alive(pid, p); i++) await sleep(50)
      if (alive(pid, p)) process.kill(pid, 'SIGKILL')
    }
    rmSync(pidPath(p), { force: true })
  }
  for (const p of procs) rmSync(join(ROOT, p), { recursive: true, force: true })
}
