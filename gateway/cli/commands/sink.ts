/**
 * `model-gateway sink [--brokers H:P] [--clickhouse URL] [--group NAME]`: the
 * Kafka -> ClickHouse process. Prints `{"event":"ready",...}` on stdout once it
 * joined its consumer group; stops on SIGTERM/SIGINT after the batch in hand.
 */
import { parseArgs } from 'node:util'
import type { Command } from '../command.js'
import { readEnv } from '../../config/env.js'
import { createLogger } from '../../observe/log.js'
import { KafkaSink, DEFAULT_GROUP } from '../../sink/consumer.js'
import { isClickHouseAuthError, type ClickHouse } from '../../sink/clickhouse.js'
import { COMMON_OPTIONS, SECURITY_HELP, endpoints, openClickHouse } from '../pipeline-options.js'
import { UsageError } from '../usage-error.js'
import { startSinkHealth, type SinkHealthServer } from '../../sink/health-server.js'

const HELP = `usage: npx model-gateway sink [options]

Consumes <prefix>.records/.rollups/.health/.shadow/.control and inserts them into ClickHouse,
committing offsets only after each insert. Run several for more throughput.

  --brokers H:P,...      Kafka brokers (default $KAFKA_BROKERS)
  --clickhouse URL       ClickHouse HTTP URL (default $CLICKHOUSE_URL)
  --database NAME        database (default $CLICKHOUSE_DATABASE or model_gateway)
  --group NAME           consumer group (default ${DEFAULT_GROUP})
  --topic-prefix P       topic prefix (default model-gateway)
  --health-port N        serve GET /health/live and /health/ready on this port
                         (0 = any free port; default: no health endpoint)
  --health-host H        its listen address (default $GATEWAY_HOST or 127.0.0.1)
${SECURITY_HELP}`

const STATS_LOG_MS = 30_000

const command: Command = {
  summary: 'consume the scoring-log topics into ClickHouse',
  async run (argv) {
    let values
    try {
      values = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, group: { type: 'string' }, 'health-port': { type: 'string' }, 'health-host': { type: 'string' } }, strict: true }).values
    } catch (err) {
      process.stderr.write(`model-gateway sink: ${(err as Error).message}\n\n${HELP}`)
      return 2
    }
    if (values.help === true) { process.stdout.write(HELP); return 0 }
    const env = readEnv()
    let ep
    let healthPort: number | undefined
    try {
      if (values['health-port'] !== undefined) {
        healthPort = Number(values['health-port'])
        if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535) throw new UsageError(`--health-port must be an integer 0..65535, got "${values['health-port']}"`)
      }
      ep = endpoints(values, env)
      if (ep.brokers === undefined) throw new UsageError('--brokers (or KAFKA_BROKERS) is required')
      if (values.group !== undefined && !/^[A-Za-z0-9._-]{1,200}$/.test(values.group)) throw new UsageError(`--group may hold letters, digits, ".", "_" and "-", got "${values.group}"`)
    } catch (err) {
      process.stderr.write(`model-gateway sink: ${(err as Error).message}\n`)
      return 2
    }
    const logger = createLogger(env.LOG_LEVEL ?? 'info', 'model-gateway-sink')
    let ch
    try {
      ch = openClickHouse(ep)
    } catch (err) {
      process.stderr.write(`model-gateway sink: ${(err as Error).message}\n`)
      return 1
    }
    const groupId = values.group ?? DEFAULT_GROUP
    const sink = new KafkaSink({
      brokers: ep.brokers,
      security: ep.kafka,
      topicPrefix: ep.topicPrefix,
      groupId,
      clickhouse: ch,
      logger,
      onFatal: (err) => {
        // Exit 1 so the supervisor (a Deployment) starts a new sink: it resumes at the first uncommitted message.
        logger.error({ err: err.message }, 'sink consumer stopped for good; exiting')
        logger.flush()
        process.exit(1)
      }
    })
    // Up before the group join, so a liveness probe passes while Kafka is still coming up.
    let health: SinkHealthServer | undefined
    if (healthPort !== undefined) health = await startSinkHealth(values['health-host'] ?? env.GATEWAY_HOST ?? '127.0.0.1', healthPort, sink)
    try {
      await checkClickHouse(ch, logger)
      await sink.start()
    } catch (err) {
      process.stderr.write(`model-gateway sink: ${(err as Error).message}\n`)
      await health?.close()
      await ch.close()
      return 1
    }
    process.stdout.write(`${JSON.stringify({ event: 'ready', group: groupId, topicPrefix: ep.topicPrefix, database: ep.database, pid: process.pid, ...(health === undefined ? {} : { healthPort: health.port }) })}\n`)
    logger.info({ group: groupId, topicPrefix: ep.topicPrefix, database: ep.database }, 'sink consuming')
    const statsTimer = setInterval(() => { logger.info({ stats: sink.stats }, 'sink progress') }, STATS_LOG_MS)
    statsTimer.unref()

    stopOnSignals(sink, ch, health, logger, statsTimer)
    return -1
  }
}

/**
 * Asks ClickHouse once before consuming: refused credentials stop the sink with
 * one line (no insert could ever succeed); a server that is not up yet only
 * warns, as inserts pause and retry until it is.
 */
async function checkClickHouse (ch: ClickHouse, logger: ReturnType<typeof createLogger>): Promise<void> {
  try {
    await ch.features()
  } catch (err) {
    if (isClickHouseAuthError(err)) throw new Error(ch.describe(err), { cause: err })
    logger.warn({ err: ch.describe(err) }, 'ClickHouse not reachable yet; inserts wait for it')
  }
}


/** SIGTERM or SIGINT: stop consuming, close ClickHouse and the health server, exit 0 (1 if that takes over 15 s or fails). */
function stopOnSignals (sink: KafkaSink, ch: { close (): Promise<void> }, health: SinkHealthServer | undefined, logger: ReturnType<typeof createLogger>, statsTimer: NodeJS.Timeout): void {
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info({ signal, stats: sink.stats }, 'sink stopping')
    clearInterval(statsTimer)
    const deadline = setTimeout(() => process.exit(1), 15_000)
    deadline.unref()
    sink.stop().then(() => ch.close()).then(() => health?.close()).then(() => {
      logger.flush()
      process.exit(0)
    }, (err: unknown) => {
      logger.error({ err }, 'sink stop failed')
      process.exit(1)
    })
  }
  process.on('SIGTERM', () => { stop('SIGTERM') })
  process.on('SIGINT', () => { stop('SIGINT') })
}

export default command
