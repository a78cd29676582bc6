/**
 * Entry point: `node dist/gateway/main.js [--config FILE] [--port N] [--admin-port N] [--grpc-port N]`.
 * Prints one JSON line `{"event":"ready",...}` on stdout once it serves.
 */
import { parseArgs } from 'node:util'
import { loadConfigFile, ConfigError } from './config/load.js'
import { readEnv } from './config/env.js'
import { createLogger } from './observe/log.js'
import { startGateway } from './app.js'
import { GatewayError } from './errors.js'

const DEFAULT_CONFIG = 'config/gateway.yaml'
/** After the drain, components (pipeline flush, pools) get this long to close before the process gives up. */
const CLOSERS_GRACE_MS = 5_000

async function main (): Promise<void> {
  const env = readEnv()
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string' },
      'admin-port': { type: 'string' },
      'grpc-port': { type: 'string' }
    },
    strict: true,
    // `model-gateway serve …` reaches here with the command name still in argv.
    args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === 'serve'))
  })
  const logger = createLogger(env.LOG_LEVEL ?? 'info')
  const file = values.config ?? env.GATEWAY_CONFIG ?? DEFAULT_CONFIG
  let config
  try {
    config = await loadConfigFile(file, env)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`model-gateway: invalid config: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  const gw = await startGateway(config, logger, {
    port: values.port === undefined ? undefined : parsePort(values.port, '--port'),
    adminPort: values['admin-port'] === undefined ? undefined : parsePort(values['admin-port'], '--admin-port'),
    grpcPort: values['grpc-port'] === undefined ? undefined : parsePort(values['grpc-port'], '--grpc-port'),
    env
  }).catch((err: unknown) => {
    // Parts of the config checked by their components (e.g. rollout plans) fail here.
    if (err instanceof ConfigError) {
      process.stderr.write(`model-gateway: invalid config: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  })
  process.stdout.write(`${JSON.stringify({ event: 'ready', port: gw.port, adminPort: gw.adminPort, grpcPort: gw.grpcPort, instanceId: config.instanceId, pid: process.pid })}\n`)

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    // close() cuts connections still busy after shutdownTimeoutMs itself; this is the backstop if a closer hangs.
    const hardMs = config.drainDelayMs + config.shutdownTimeoutMs + CLOSERS_GRACE_MS
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: hardMs }, 'shutdown deadline passed; exiting with work unfinished')
      process.exit(1)
    }, hardMs)
    deadline.unref()
    gw.close().then(() => {
      logger.info('stopped')
      logger.flush()
      process.exit(0)
    }, (err: unknown) => {
      logger.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  // SIGHUP reloads the config file; a bad file is logged (file, path, reason) and the running config stays.
  process.on('SIGHUP', () => {
    if (stopping) return
    gw.reload().catch((err: unknown) => {
      if (!(err instanceof GatewayError)) logger.error({ err }, 'config reload failed')
    })
  })
  process.on('SIGTERM', () => { stop('SIGTERM') })
  process.on('SIGINT', () => { stop('SIGINT') })
}

function parsePort (s: string, flag: string): number {
  const n = Number(s)
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    process.stderr.write(`model-gateway: ${flag} must be a port number 0..65535, got "${s}"\n`)
    process.exit(2)
  }
  return n
}

main().catch((err: unknown) => {
  process.stderr.write(`model-gateway: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
