// Which of the launcher's services are still alive: pid files, process
// identity and a TCP connect. Only node: built-ins, so it is cheap to import
// (the suite checks it after every test file).
import { readFileSync, readlinkSync, realpathSync } from 'node:fs'
import { createConnection } from 'node:net'
import { PORTS, STATE_JSON, dataDir, pidFile, type ServiceName } from './paths.js'

/** A string in /proc/<pid>/cmdline that tells our kind of process from a recycled pid. */
const CMDLINE_MARKER: Record<ServiceName, string> = { redis: 'redis-server', kafka: 'kafka.Kafka', clickhouse: 'clickhouse' }

/** The port whose listener says the service is up (Kafka's broker, ClickHouse's HTTP). */
const MAIN_PORT: Record<ServiceName, number> = { redis: PORTS.redis, kafka: PORTS.kafka, clickhouse: PORTS.clickhouseHttp }

const CONNECT_TIMEOUT_MS = 2_000

export interface State {
  external: Partial<Record<ServiceName, string>>
  managed: ServiceName[]
}

export function readState(): State | undefined {
  try {
    return JSON.parse(readFileSync(STATE_JSON, 'utf8')) as State
  } catch {
    return undefined
  }
}

export function readPid(name: ServiceName): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile(name), 'utf8').trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** True when pid is running and is our service (not a recycled pid). Zombies count as gone. */
export function isOurProcess(pid: number, name: ServiceName): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    if (state === 'Z' || state === 'X') return false
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    // The kind alone is not enough: with pid_max at 32768 and several test runs
    // on one machine, pids wrap within minutes, and a stale pid file may name
    // another checkout's server of the same kind. Ours run in our data folder.
    return cmdline.includes(CMDLINE_MARKER[name]) && readlinkSync(`/proc/${pid}/cwd`) === realpathSync(dataDir(name))
  } catch {
    return false
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port, timeout: CONNECT_TIMEOUT_MS })
    const done = (ok: boolean): void => {
      s.destroy()
      resolve(ok)
    }
    s.once('connect', () => done(true))
    s.once('timeout', () => done(false))
    s.once('error', () => done(false))
  })
}

/** Managed services whose process is gone or whose port refuses connections (none when the services are not up). */
export async function lostServices(): Promise<ServiceName[]> {
  const state = readState()
  if (state === undefined) return []
  const lost = await Promise.all(state.managed.map(async (name) => {
    const pid = readPid(name)
    const alive = pid !== undefined && isOurProcess(pid, name) && (await accepts(MAIN_PORT[name]))
    return alive ? [] : [name]
  }))
  return lost.flat()
}
