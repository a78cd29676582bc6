/**
 * `model-gateway outcomes load FILE --model M`: send a file of labels or
 * business values to the gateway's outcome intake (gateway/outcomes/load.ts).
 * Exit codes: 0 all sent, 1 a batch was refused or some lines were rejected, 2 usage.
 */
import { parseArgs } from 'node:util'
import type { Command } from '../command.js'
import { DEFAULT_GATEWAY_URL, formatOf } from '../../batch/options.js'
import { DEFAULT_LOAD_BATCH, LoadError, loadOutcomes } from '../../outcomes/load.js'
import { InputError } from '../../batch/source.js'
import type { ProgressMode } from '../../batch/progress.js'
import { UsageError } from '../usage-error.js'

const HELP = `usage: npx model-gateway outcomes load FILE --model M [options]

Sends outcomes — labels (ground truth) or business values, by the request id the
gateway answered with (x-request-id) — to POST /v2/models/M/outcomes in batches.
FILE is CSV with a header line (.csv) or NDJSON. Every line is checked first; a
bad line is reported with its number and skipped. Sending a file twice is
harmless: an outcome stored twice counts once, the latest "at" wins.

  --model M              model the outcomes belong to
  --url URL              gateway base URL (default ${DEFAULT_GATEWAY_URL})
  --format csv|ndjson    input format (default: by the file name)
  --id-column C          column of the request id (default id)
  --label-column C       column of the label (default label)
  --value-column C       column of the business value (default value)
  --at-column C          column of when it happened, epoch ms or ISO 8601 (default at; absent: now)
  --batch N              outcomes per request (default ${DEFAULT_LOAD_BATCH}; at most the gateway's outcomes.maxItems)
  --retries N            attempts more for a batch answered 503 or not at all (default 8)
  --header "NAME: VALUE" extra request header, e.g. a data-plane credential (repeatable)
  --progress auto|bar|json|off   bar on a terminal, JSON lines otherwise (default auto)
`

const command: Command = {
  summary: 'send a file of outcomes (labels, business values) to the gateway',
  async run (argv) {
    let parsed
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        strict: true,
        options: {
          model: { type: 'string' }, url: { type: 'string' }, format: { type: 'string' }, batch: { type: 'string' }, retries: { type: 'string' },
          'id-column': { type: 'string' }, 'label-column': { type: 'string' }, 'value-column': { type: 'string' }, 'at-column': { type: 'string' },
          header: { type: 'string', multiple: true }, progress: { type: 'string' }, help: { type: 'boolean', short: 'h' }
        }
      })
    } catch (err) {
      process.stderr.write(`model-gateway outcomes: ${(err as Error).message}\n\n${HELP}`)
      return 2
    }
    const { values: v, positionals } = parsed
    if (v.help === true) { process.stdout.write(HELP); return 0 }
    let opts
    try {
      if (positionals[0] !== 'load' || positionals.length !== 2) throw new UsageError('expected "outcomes load FILE"')
      if (v.model === undefined || v.model === '') throw new UsageError('--model is required')
      const file = positionals[1]!
      const format = v.format === undefined ? formatOf(file) : v.format === 'csv' || v.format === 'ndjson' ? v.format : (() => { throw new UsageError(`--format must be csv or ndjson, got "${v.format}"`) })()
      const batch = Number(v.batch ?? DEFAULT_LOAD_BATCH)
      if (!Number.isInteger(batch) || batch < 1 || batch > 1_000_000) throw new UsageError(`--batch must be an integer from 1 to 1000000, got "${v.batch}"`)
      const retries = Number(v.retries ?? 8)
      if (!Number.isInteger(retries) || retries < 0 || retries > 100) throw new UsageError(`--retries must be an integer from 0 to 100, got "${v.retries}"`)
      const headers: Record<string, string> = {}
      for (const h of v.header ?? []) {
        const i = h.indexOf(':')
        if (i <= 0) throw new UsageError(`--header must be "NAME: VALUE", got "${h}"`)
        headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim()
      }
      const mode = v.progress ?? 'auto'
      if (!['auto', 'bar', 'json', 'off'].includes(mode)) throw new UsageError(`--progress must be auto, bar, json or off, got "${mode}"`)
      const progress: ProgressMode = mode === 'auto' ? (process.stderr.isTTY ? 'bar' : 'json') : mode as ProgressMode
      opts = {
        file, format, batch, retries, headers, progress, model: v.model, url: v.url ?? DEFAULT_GATEWAY_URL,
        columns: { id: v['id-column'] ?? 'id', label: v['label-column'] ?? 'label', value: v['value-column'] ?? 'value', at: v['at-column'] ?? 'at' },
        write: (t: string) => { process.stderr.write(t) }
      }
    } catch (err) {
      process.stderr.write(`model-gateway outcomes: ${(err as Error).message}\n\n${HELP}`)
      return 2
    }
    try {
      const r = await loadOutcomes(opts)
      process.stdout.write(`${JSON.stringify({ event: 'done', model: opts.model, accepted: r.accepted, rejected: r.rejected, retries: r.retries })}\n`)
      return r.rejected > 0 ? 1 : 0
    } catch (err) {
      if (err instanceof LoadError || err instanceof InputError) {
        process.stderr.write(`model-gateway outcomes: ${err.message}\n`)
        return 1
      }
      throw err
    }
  }
}

export default command
