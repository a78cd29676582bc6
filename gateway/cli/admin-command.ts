/**
 * What every control-plane command shares: the --admin-url/--token/--json flags
 * (falling back to MODEL_GATEWAY_ADMIN_URL / MODEL_GATEWAY_TOKEN), argument
 * checks, errors printed as one line on stderr with exit code 1 (2 for usage),
 * and the status table.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { readEnv } from '../config/env.js'
import { TOTAL_BP } from '../state/split.js'
import { AdminClient, AdminClientError, DEFAULT_ADMIN_URL, type ModelView } from './admin-client.js'
import type { Command } from './command.js'
import { UsageError } from './usage-error.js'

type Options = NonNullable<ParseArgsConfig['options']>

export interface CommandContext {
  client: AdminClient
  args: string[]
  flags: Record<string, string | boolean | undefined>
  json: boolean
  /** Parsed --revision, for compare-and-set. */
  revision: number | undefined
  out (text: string): void
}

export interface AdminCommandSpec {
  summary: string
  /** Arguments after the command name, e.g. "<model> <version>=<percent>...". */
  usage: string
  /** Longer help, one line per item. */
  help?: string[]
  options?: Options
  minArgs: number
  maxArgs: number
  /** Returns what --json prints; text output is written with ctx.out. */
  run (ctx: CommandContext): Promise<unknown>
  /** Exit code for a result that is not an error but not a success either (default 0). */
  exitCode? (result: unknown): number
}

export { UsageError }

const COMMON: Options = {
  'admin-url': { type: 'string' },
  token: { type: 'string' },
  ca: { type: 'string' },
  json: { type: 'boolean' },
  revision: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
}

export function adminCommand (name: string, spec: AdminCommandSpec): Command {
  const usage = [
    `usage: npx model-gateway ${name} ${spec.usage} [--admin-url URL] [--token TOKEN] [--json]`,
    '',
    spec.summary,
    ...(spec.help ?? []),
    '',
    '  --admin-url URL   admin API base URL (env MODEL_GATEWAY_ADMIN_URL, default ' + DEFAULT_ADMIN_URL + ')',
    '  --token TOKEN     admin bearer token (env MODEL_GATEWAY_TOKEN)',
    '  --ca FILE         CA bundle (PEM) for an https admin URL with a private CA (env MODEL_GATEWAY_CA)',
    '  --revision N      only apply if the routing state is still at revision N (else 409)',
    '  --json            print the server\'s JSON answer',
    ''
  ].join('\n')
  return {
    summary: spec.summary,
    async run (argv: string[]): Promise<number> {
      let parsed
      try {
        parsed = parseArgs({ args: argv, options: { ...COMMON, ...spec.options }, allowPositionals: true, strict: true })
      } catch (err) {
        process.stderr.write(`model-gateway ${name}: ${(err as Error).message}\n\n${usage}`)
        return 2
      }
      const flags = parsed.values as Record<string, string | boolean | undefined>
      if (flags.help === true) {
        process.stdout.write(usage)
        return 0
      }
      const args = parsed.positionals
      const env = readEnv()
      try {
        if (args.length < spec.minArgs || args.length > spec.maxArgs) throw new UsageError(`expected ${spec.usage}`)
        const revision = flags.revision === undefined ? undefined : parseRevision(flags.revision as string)
        const client = new AdminClient({
          url: (flags['admin-url'] as string | undefined) ?? env.MODEL_GATEWAY_ADMIN_URL ?? DEFAULT_ADMIN_URL,
          token: (flags.token as string | undefined) ?? env.MODEL_GATEWAY_TOKEN,
          ca: await readCa((flags.ca as string | undefined) ?? env.MODEL_GATEWAY_CA)
        })
        const json = flags.json === true
        const lines: string[] = []
        const result = await spec.run({ client, args, flags, json, revision, out: (t) => { lines.push(t) } })
        process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : lines.map(l => `${l}\n`).join(''))
        return spec.exitCode?.(result) ?? 0
      } catch (err) {
        if (err instanceof UsageError) {
          process.stderr.write(`model-gateway ${name}: ${err.message}\n\n${usage}`)
          return 2
        }
        if (err instanceof AdminClientError) {
          process.stderr.write(`model-gateway ${name}: ${err.message}\n`)
          return 1
        }
        throw err
      }
    }
  }
}

async function readCa (file: string | undefined): Promise<Buffer | undefined> {
  if (file === undefined) return undefined
  try {
    return await readFile(file)
  } catch (err) {
    throw new AdminClientError(`cannot read the CA file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, null, null)
  }
}

function parseRevision (s: string): number {
  if (!/^\d{1,15}$/.test(s)) throw new UsageError(`--revision must be a revision number, got "${s}"`)
  return Number(s)
}

/** "12.5" (percent, up to two decimals) -> 1250 basis points. */
export function percentToBp (s: string): number {
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(s)) throw new UsageError(`"${s}" is not a percentage with at most two decimals (e.g. 10, 12.5, 0.25)`)
  const bp = Math.round(Number(s) * 100)
  if (bp > TOTAL_BP) throw new UsageError(`${s}% is more than 100%`)
  return bp
}

export function parseBp (s: string): number {
  if (!/^\d{1,5}$/.test(s) || Number(s) > TOTAL_BP) throw new UsageError(`"${s}" is not a number of basis points from 0 to ${TOTAL_BP}`)
  return Number(s)
}

/** `v1=90 v2=10` -> { v1: 9000, v2: 1000 }; with bp, values are basis points already. */
export function parseWeights (pairs: readonly string[], bp: boolean): Record<string, number> {
  const out: Record<string, number> = {}
  for (const p of pairs) {
    const i = p.indexOf('=')
    if (i <= 0) throw new UsageError(`"${p}" is not <version>=<${bp ? 'basis points' : 'percent'}>`)
    const v = p.slice(0, i)
    if (out[v] !== undefined) throw new UsageError(`version "${v}" is given twice`)
    out[v] = bp ? parseBp(p.slice(i + 1)) : percentToBp(p.slice(i + 1))
  }
  const sum = Object.values(out).reduce((a, b) => a + b, 0)
  if (sum !== TOTAL_BP) throw new UsageError(`weights add up to ${formatPercent(sum)}; they must add up to 100%`)
  return out
}

export function formatPercent (bp: number): string {
  return `${(bp / 100).toFixed(2).replace(/\.?0+$/, '')}%`
}

/** Rows of the status table for one model. */
export function modelRows (m: ModelView): string[][] {
  return m.versions.map(v => [m.name, v.name, formatPercent(v.weight), v.role, `${v.healthyReplicas}/${v.totalReplicas}`])
}

export function table (header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)))
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(header), ...rows.map(line)]
}

export const STATUS_HEADER = ['MODEL', 'VERSION', 'WEIGHT', 'ROLE', 'HEALTHY']

/** What a write command prints: the model after the change and the new revision. */
export function printModel (ctx: CommandContext, m: ModelView, revision: number, what: string): void {
  ctx.out(`${what}; revision ${revision}`)
  for (const l of table(STATUS_HEADER, modelRows(m))) ctx.out(l)
}
