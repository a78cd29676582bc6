/** `model-gateway migrate [--clickhouse URL] [--database DB] [--cluster NAME] [--kafka --brokers H:P]`: ClickHouse schema and (optionally) Kafka topics. */
import { parseArgs } from 'node:util'
import type { Command } from '../command.js'
import { readEnv } from '../../config/env.js'
import { createLogger } from '../../observe/log.js'
import { migrate, DEFAULT_RETENTION_DAYS } from '../../sink/schema.js'
import { COMMON_OPTIONS, SECURITY_HELP, endpoints, openClickHouse } from '../pipeline-options.js'
import { UsageError } from '../usage-error.js'
import { migrateCluster } from '../../sink/cluster-schema.js'
import { DEFAULT_TOPIC_PARTITIONS, describeKafkaError, ensureTopics, kafkaClient } from '../../observe/topics.js'

const HELP = `usage: npx model-gateway migrate [options]

Creates the ClickHouse database and tables (records, rollups, health_checks,
shadow_pairs) and, with --kafka, the Kafka topics
<prefix>.records/.rollups/.health/.shadow.

  --clickhouse URL       ClickHouse HTTP URL (default $CLICKHOUSE_URL)
  --database NAME        database (default $CLICKHOUSE_DATABASE or model_gateway)
  --cluster NAME         create Replicated*MergeTree tables <table>_local and
                         Distributed tables <table> ON CLUSTER NAME (the servers
                         need remote_servers, macros {shard}/{replica} and ZooKeeper)
  --shard-urls URL,...   with --cluster on ClickHouse 18.x: one HTTP URL per shard, for
                         the ALTERs that 18.x cannot run ON CLUSTER (MODIFY ORDER BY)
  --retention-days N     drop data older than N days (servers with TTL only; default ${DEFAULT_RETENTION_DAYS}, 0 = keep)
  --kafka                also create the Kafka topics
  --brokers H:P,...      Kafka brokers (default $KAFKA_BROKERS)
  --topic-prefix P       topic prefix (default model-gateway)
  --partitions N         partitions per new topic (default ${DEFAULT_TOPIC_PARTITIONS})
${SECURITY_HELP}`

const command: Command = {
  summary: 'create the ClickHouse schema (and Kafka topics with --kafka)',
  async run (argv) {
    let values
    try {
      values = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, kafka: { type: 'boolean' }, cluster: { type: 'string' }, 'shard-urls': { type: 'string' }, partitions: { type: 'string' }, 'retention-days': { type: 'string' } }, strict: true }).values
    } catch (err) {
      process.stderr.write(`model-gateway migrate: ${(err as Error).message}\n\n${HELP}`)
      return 2
    }
    if (values.help === true) { process.stdout.write(HELP); return 0 }
    const env = readEnv()
    try {
      const ep = endpoints(values, env)
      const partitions = Number(values.partitions ?? DEFAULT_TOPIC_PARTITIONS)
      if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1000) throw new UsageError(`--partitions must be an integer 1..1000, got "${values.partitions}"`)
      const days = Number(values['retention-days'] ?? DEFAULT_RETENTION_DAYS)
      if (!Number.isInteger(days) || days < 0) throw new UsageError(`--retention-days must be an integer >= 0, got "${values['retention-days']}"`)
      if (values.cluster !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(values.cluster)) throw new UsageError(`--cluster may hold letters, digits and "_", got "${values.cluster}"`)
      const shardUrls = (values['shard-urls'] ?? '').split(',').map(u => u.trim()).filter(u => u !== '')
      for (const u of shardUrls) if (!/^https?:\/\/[^\s/]+/.test(u)) throw new UsageError(`--shard-urls must be http(s) URLs separated by ",", got "${u}"`)
      if (values.kafka === true && ep.brokers === undefined) throw new UsageError('--kafka needs --brokers (or KAFKA_BROKERS)')

      const ch = openClickHouse(ep)
      try {
        const r = values.cluster === undefined ? await migrate(ch, days) : await migrateCluster(ch, values.cluster, days, shardUrls)
        const where = values.cluster === undefined ? '' : ` on cluster ${values.cluster}`
        process.stdout.write(`ClickHouse ${r.serverVersion}: database ${ep.database}${where}; applied ${r.applied.length === 0 ? 'nothing new' : r.applied.join(', ')}${r.alreadyApplied.length > 0 ? `; already there: ${r.alreadyApplied.join(', ')}` : ''}\n`)
      } catch (err) {
        throw new Error(ch.describe(err), { cause: err })
      } finally {
        await ch.close()
      }
      if (values.kafka === true) {
        const logger = createLogger(env.LOG_LEVEL ?? 'warn', 'model-gateway-migrate')
        let created: string[]
        try {
          created = await ensureTopics(kafkaClient(ep.brokers!, 'model-gateway-migrate', logger, ep.kafka), ep.topicPrefix, partitions)
        } catch (err) {
          throw new Error(describeKafkaError(err, ep.brokers!, ep.kafka), { cause: err })
        }
        process.stdout.write(`Kafka: ${created.length === 0 ? 'topics already there' : `created ${created.join(', ')} (${partitions} partitions)`}\n`)
      }
      return 0
    } catch (err) {
      if (err instanceof UsageError) {
        process.stderr.write(`model-gateway migrate: ${err.message}\n`)
        return 2
      }
      process.stderr.write(`model-gateway migrate: ${(err as Error).message}\n`)
      return 1
    }
  }
}

export default command
