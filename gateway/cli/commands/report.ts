/** `model-gateway report <model> [--since 1h] [--clickhouse URL]`: versions of a model side by side. */
import { parseArgs } from 'node:util'
import type { Command } from '../command.js'
import { readEnv } from '../../config/env.js'
import { COMMON_OPTIONS, SECURITY_HELP, endpoints, openClickHouse } from '../pipeline-options.js'
import { UsageError } from '../usage-error.js'
import { formatReport, parseDuration, versionReport } from '../../sink/report.js'
import { DEFAULT_SHADOW_TOLERANCE, formatShadowReport, shadowReport } from '../../sink/shadow-report.js'

const HELP = `usage: npx model-gateway report <model> [options]
       npx model-gateway report shadow <model> [--tolerance X] [options]
       npx model-gateway report outcomes <model> [--window 7d] [--svg FILE] [options]   (see "report outcomes --help")

Per-version comparison: requests and share (exact, from the per-minute rollups),
4xx/5xx rates, mean and p50/p95/p99 latency, sampled records and the mean
prediction found in their response bodies.

With "shadow": the model's shadow versions against the primary on the mirrored
requests: agreement (exact and within --tolerance, default ${DEFAULT_SHADOW_TOLERANCE}),
the distribution of output differences, latency side by side, the shadow's errors.

  --since D              period: 90s, 15m, 1h, 2d (default 1h)
  --tolerance X          shadow: absolute difference counted as agreement
  --clickhouse URL       ClickHouse HTTP URL (default $CLICKHOUSE_URL)
  --database NAME        database (default $CLICKHOUSE_DATABASE or model_gateway)
  --json                 print the rows as JSON instead of a table
${SECURITY_HELP}`

const command: Command = {
  summary: 'compare the versions of a model (requests, errors, latency, predictions; outcomes)',
  async run (argv) {
    if (argv[0] === 'outcomes') return await (await import('./report-outcomes.js')).run(argv.slice(1))
    let parsed
    try {
      parsed = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, since: { type: 'string' }, json: { type: 'boolean' }, tolerance: { type: 'string' } }, allowPositionals: true, strict: true })
    } catch (err) {
      process.stderr.write(`model-gateway report: ${(err as Error).message}\n\n${HELP}`)
      return 2
    }
    const { values, positionals } = parsed
    if (values.help === true) { process.stdout.write(HELP); return 0 }
    let ep, sinceS, model
    const shadow = positionals[0] === 'shadow' && positionals.length === 2
    let tolerance = DEFAULT_SHADOW_TOLERANCE
    try {
      if (positionals.length !== 1 && !shadow) throw new UsageError(`expected one model name (or "shadow <model>"), got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`)
      model = positionals[shadow ? 1 : 0]!
      if (values.tolerance !== undefined) {
        tolerance = Number(values.tolerance)
        if (values.tolerance.trim() === '' || !(tolerance >= 0) || !Number.isFinite(tolerance)) throw new UsageError(`--tolerance must be a number >= 0, got "${values.tolerance}"`)
      }
      sinceS = parseDuration(values.since ?? '1h')
      ep = endpoints(values, readEnv())
    } catch (err) {
      process.stderr.write(`model-gateway report: ${(err as Error).message}\n`)
      return 2
    }
    const ch = openClickHouse(ep)
    try {
      if (shadow) {
        const rows = await shadowReport(ch, model, Date.now() / 1000 - sinceS, tolerance)
        process.stdout.write(values.json === true ? `${JSON.stringify(rows)}\n` : formatShadowReport(model, values.since ?? '1h', rows))
        return 0
      }
      const rows = await versionReport(ch, model, Date.now() / 1000 - sinceS)
      process.stdout.write(values.json === true ? `${JSON.stringify(rows)}\n` : formatReport(model, values.since ?? '1h', rows))
      return 0
    } catch (err) {
      process.stderr.write(`model-gateway report: ${ch.describe(err)}\n`)
      return 1
    } finally {
      await ch.close()
    }
  }
}

export default command
