/**
 * `model-gateway shadow <model> <version> --percent P` / `shadow <model> --stop`:
 * mirror live requests to a version; `shadow <model> --summary`: this
 * instance's shadow results (agreement, differences, latency, errors), read in
 * process, so a gateway without ClickHouse can see them.
 */
import { adminCommand, formatPercent, percentToBp, UsageError, type CommandContext } from '../admin-command.js'
import type { ShadowSummary } from '../../observe/shadow-tally.js'

interface SummaryResponse { revision: number, shadow: { version: string, weight: number } | null, summary: ShadowSummary | null }

export default adminCommand('shadow', {
  summary: 'mirror a share of live requests to <version> off the response path (or --stop, or --summary)',
  usage: '<model> [<version>] (--percent P | --stop | --summary)',
  help: [
    '',
    'Requests are chosen by a hash of their request id, the same on every instance. Clients never wait for the shadow;',
    'each pair of answers goes to the shadow_pairs table (see "npx model-gateway report shadow <model>") and to the',
    'instance\'s own tally, which --summary reads (the instance behind --admin-url only).',
    '',
    '  --percent P     share of live requests to mirror (0.01 to 100)',
    '  --stop          stop mirroring',
    '  --summary       this instance\'s results for the shadow version (or <version>)',
    '  --tolerance X   with --summary: absolute difference counted as agreement (default 1e-6)'
  ],
  options: { percent: { type: 'string' }, stop: { type: 'boolean' }, summary: { type: 'boolean' }, tolerance: { type: 'string' } },
  minArgs: 1,
  maxArgs: 2,
  async run (ctx) {
    const [model, version] = ctx.args as [string, string | undefined]
    if (ctx.flags.summary === true) return summary(ctx, model, version)
    if (ctx.flags.stop === true) {
      if (version !== undefined || ctx.flags.percent !== undefined) throw new UsageError('--stop takes only the model')
      const res = await ctx.client.stopShadow(model)
      ctx.out(`${model}: shadow stopped; revision ${res.revision}`)
      return res
    }
    if (version === undefined || typeof ctx.flags.percent !== 'string') throw new UsageError('give <version> and --percent P, or --stop, or --summary')
    const weight = percentToBp(ctx.flags.percent)
    if (weight === 0) throw new UsageError('--percent must be more than 0 (use --stop to stop)')
    const res = await ctx.client.shadow(model, version, weight, ctx.revision)
    ctx.out(`${model}: ${formatPercent(weight)} of requests mirrored to ${version}; revision ${res.revision}`)
    return res
  }
})

async function summary (ctx: CommandContext, model: string, version: string | undefined): Promise<SummaryResponse> {
  const q = new URLSearchParams()
  if (version !== undefined) q.set('version', version)
  if (typeof ctx.flags.tolerance === 'string') {
    if (!(Number(ctx.flags.tolerance) >= 0)) throw new UsageError(`--tolerance must be a number >= 0, got "${ctx.flags.tolerance}"`)
    q.set('tolerance', ctx.flags.tolerance)
  }
  const res = await ctx.client.call<SummaryResponse>('GET', `/admin/models/${encodeURIComponent(model)}/shadow${q.size === 0 ? '' : `?${q.toString()}`}`)
  const s = res.summary
  ctx.out(`${model}: shadow ${res.shadow === null ? 'off' : `of ${res.shadow.version} at ${formatPercent(res.shadow.weight)}`}`)
  if (s === null) {
    ctx.out(version === undefined && res.shadow === null ? 'no shadow version (name one to see its past results)' : 'no pairs on this instance yet')
    return res
  }
  const pct = (x: number | null): string => x === null ? '-' : `${(x * 100).toFixed(2)}%`
  const ms = (x: number | null): string => x === null ? '-' : `${x.toFixed(1)} ms`
  ctx.out(`${s.shadowVersion}: ${s.pairs} pairs, ${s.bothAnswered} with both answering 2xx`)
  ctx.out(`agreement: exact ${pct(s.exactAgreement)}, within ${s.tolerance} ${pct(s.toleranceAgreement)}; difference p50 ${s.diffP50 ?? '-'}, p99 ${s.diffP99 ?? '-'}, max ${s.diffMax ?? '-'}`)
  ctx.out(`latency: primary p50 ${ms(s.primaryP50Ms)} p99 ${ms(s.primaryP99Ms)}; shadow p50 ${ms(s.shadowP50Ms)} p99 ${ms(s.shadowP99Ms)}`)
  ctx.out(`shadow errors: ${s.shadowErrors}${s.errors.length === 0 ? '' : ` (${s.errors.map(e => `${e.error === '' ? `HTTP ${e.status}` : e.error} x${e.n}`).join(', ')})`}`)
  return res
}
