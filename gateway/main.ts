/**
 * Entry point: `npx model-gateway serve [--config FILE] [--port N] [--admin-port N] [--grpc-port N]`
 * (`npm start` runs this file too).
 * Prints one JSON line `{"event":"ready",...}` on stdout once it serves.
 */
// First: must run before the other modules load (see tick-shapes.ts).
import './tick-shapes.js'
import { parseArgs } from 'node:util'
import { loadConfigFile, type GatewayConfig } from './config/load.js'
import { readEnv } from './config/env.js'
import { createLogger } from './observe/log.js'
import { startGateway, type Gateway } from './app.js'
import { GatewayError } from './errors.js'
import { describeStartupError, exitCodeOf, type ListenPlan } from './startup-error.js'

const DEFAULT_CONFIG = 'config/gateway.yaml'
/** After the drain, components (pipeline flush, pools) get this long to close before the process gives up. */
const CLOSERS_GRACE_MS = 5_000

async function main (): Promise<void> {
  const env = readEnv()
  let values
  try {
    values = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string' },
        'admin-port': { type: 'string' },
        'grpc-port': { type: 'string' }
      },
      strict: true,
      // `model-gateway serve …` reaches here with the command name still in argv.
      args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === 'serve'))
    }).values
  } catch (err) {
    process.stderr.write(`model-gateway: ${(err as Error).message} (options: --config FILE, --port N, --admin-port N, --grpc-port N)\n`)
    process.exit(2)
  }
  const logger = createLogger(env.LOG_LEVEL ?? 'info')
  const file = values.config ?? env.GATEWAY_CONFIG ?? DEFAULT_CONFIG
  const port = values.port === undefined ? undefined : parsePort(values.port, '--port')
  const adminPort = values['admin-port'] === undefined ? undefined : parsePort(values['admin-port'], '--admin-port')
  const grpcPort = values['grpc-port'] === undefined ? undefined : parsePort(values['grpc-port'], '--grpc-port')
  let config: GatewayConfig | undefined
  let gw: Gateway
  try {
    config = await loadConfigFile(file, env)
    gw = await startGateway(config, logger, { port, adminPort, grpcPort, env })
  } catch (err) {
    // Parts of the config checked by their components (e.g. rollout plans) fail in startGateway too.
    const listen = config === undefined ? undefined : { host: config.host, port: port ?? config.port, adminHost: config.admin.host, adminPort: adminPort ?? config.admin.port }
    failStart(err, listen, env.LOG_LEVEL)
  }
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

/** One line on stderr that says what to do, then exit; the stack only with LOG_LEVEL=debug. */
function failStart (err: unknown, listen: ListenPlan | undefined, level: string | undefined): never {
  process.stderr.write(`model-gateway: ${describeStartupError(err, listen)}\n`)
  if (level === 'debug' || level === 'trace') process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
  process.exit(exitCodeOf(err))
}

function parsePort (s: string, flag: string): number {
  const n = Number(s)
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    process.stderr.write(`model-gateway: ${flag} must be a port number 0..65535, got "${s}"\n`)
    process.exit(2)
  }
  return n
}

main().catch((err: unknown) => { failStart(err, undefined, readEnv().LOG_LEVEL) })
