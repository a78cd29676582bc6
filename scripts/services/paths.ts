// Where the service launcher keeps things, and the fixed ports it uses.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export type ServiceName = 'redis' | 'kafka' | 'clickhouse'
export const SERVICE_NAMES: readonly ServiceName[] = ['redis', 'kafka', 'clickhouse']

/** Kafka broker version run by the launcher (see NOTES.md for why). */
export const KAFKA_VERSION = '4.4.0'

/**
 * SERVICES_PORT_OFFSET shifts every port, so two checkouts on one machine can
 * each run their own servers. Read here because this launcher is not the
 * gateway: it has no config file and no other settings.
 */
export const OFFSET = Number(process.env.SERVICES_PORT_OFFSET ?? 0) || 0

export const PORTS = {
  redis: 16379 + OFFSET,
  kafka: 19092 + OFFSET,
  kafkaController: 19093 + OFFSET,
  clickhouseHttp: 18123 + OFFSET,
  clickhouseNative: 19000 + OFFSET
} as const

/** The repository root: the nearest folder above this module with our package.json. */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name
        if (name === 'model-gateway') return dir
      } catch {
        // not ours, keep walking
      }
    }
    const parent = dirname(dir)
    if (parent === dir) return process.cwd()
    dir = parent
  }
}

export const REPO_ROOT = findRepoRoot()
export const CACHE_DIR = resolve(REPO_ROOT, '.cache')
export const SERVICES_DIR = resolve(REPO_ROOT, '.services')
export const DATA_DIR = join(SERVICES_DIR, 'data')
export const CONF_DIR = join(SERVICES_DIR, 'conf')
export const LOG_DIR = join(SERVICES_DIR, 'logs')
export const ENV_JSON = join(SERVICES_DIR, 'env.json')
export const ENV_SHELL = join(SERVICES_DIR, 'env')
export const STATE_JSON = join(SERVICES_DIR, 'state.json')
export const KAFKA_HOME = join(CACHE_DIR, `kafka-${KAFKA_VERSION}`)
export const KAFKA_LIBS = join(KAFKA_HOME, 'libs')
export const INSTALL_LOG_DIR = join(CACHE_DIR, 'install-logs')

export const pidFile = (name: ServiceName): string => join(SERVICES_DIR, `${name}.pid`)
export const logFile = (name: ServiceName): string => join(LOG_DIR, `${name}.log`)
export const dataDir = (name: ServiceName): string => join(DATA_DIR, name)
