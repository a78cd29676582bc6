// What tests import: where the services are, and (for fault tests) stopping and
// starting the ones this launcher runs.
import { SERVICE_NAMES, type ServiceName } from './paths.js'
import { ENV_KEYS, LOCAL_ENV, ensureRunning, isOurProcess, readEnvFile, readPid, readState, restoreManaged, stopManaged, type ServiceEnv } from './services.js'

export type { ServiceEnv, ServiceName }

/**
 * Connection settings: REDIS_URL, KAFKA_BROKERS, CLICKHOUSE_URL.
 * Each comes from .services/env.json (written by `up`); failing that from the
 * process environment; failing that the launcher's local defaults.
 */
export function serviceEnv(): ServiceEnv {
  const file = readEnvFile()
  const out = { ...LOCAL_ENV }
  for (const name of SERVICE_NAMES) {
    const key = ENV_KEYS[name]
    const v = file?.[key] ?? process.env[key]
    if (v !== undefined && v !== '') out[key] = v
  }
  return out
}

function assertManaged(name: ServiceName, action: 'stop' | 'start'): void {
  if (!SERVICE_NAMES.includes(name)) throw new Error(`unknown service '${String(name)}' (expected redis, kafka or clickhouse)`)
  const state = readState()
  const ext = state?.external[name] ?? (state === undefined ? process.env[ENV_KEYS[name]] : undefined)
  if (ext !== undefined && ext !== '') {
    throw new Error(`cannot ${action} an external service: ${name} is ${ext} (${ENV_KEYS[name]} was set), not started by test/services`)
  }
  if (state === undefined) throw new Error(`cannot ${action} ${name}: the services are not up (run \`npm run services:up\` first)`)
}

/** Kills our process for this service and resolves once it is gone. */
export async function stopService(name: ServiceName): Promise<void> {
  assertManaged(name, 'stop')
  await stopManaged(name)
}

/** Starts the service again (same ports and data folder) and resolves once it answers. */
export async function startService(name: ServiceName): Promise<void> {
  assertManaged(name, 'start')
  await ensureRunning(name, { truncateLog: false })
}

/**
 * Sends `signal` to our process for this service (fault tests: SIGSTOP and
 * SIGCONT stall and resume it, SIGKILL kills it without a goodbye). Returns its pid.
 */
export function signalService(name: ServiceName, signal: NodeJS.Signals): number {
  assertManaged(name, 'stop')
  const pid = readPid(name)
  if (pid === undefined || !isOurProcess(pid, name)) throw new Error(`cannot signal ${name}: it is not running`)
  process.kill(pid, signal)
  return pid
}

/**
 * Every service this launcher runs answers again: one whose process is gone is
 * started, one that is alive but not answering is stopped and started. Resolves
 * with the names it had to start (none when all answered); throws, naming the
 * service and its log, when one cannot be brought back. Fault tests call it
 * after each test, so a service they stopped never stays stopped for the next.
 */
export async function restoreServices(): Promise<ServiceName[]> {
  const state = readState()
  if (state === undefined) return []
  const started = await Promise.all(state.managed.map(async (name) => ((await restoreManaged(name)) ? [name] : [])))
  return started.flat()
}
