/** `model-gateway sampling <model> <version> --rate R | --clear`: a version's share of requests recorded in full. */
import { adminCommand, printModel, UsageError } from '../admin-command.js'

export default adminCommand('sampling', {
  summary: 'set the share (0..1) of a version\'s requests recorded in full, e.g. a canary at 1',
  usage: '<model> <version> (--rate R | --clear)',
  help: [
    '',
    'Stored in the routing state (revisioned, audited) and applied by every instance; it overrides the',
    'config\'s sampling.rate and sampling.versions for that version. --clear goes back to the config.',
    '  --rate R    a number from 0 to 1 (1 records every request, 0.01 one in a hundred)',
    '  --clear     remove the runtime rate'
  ],
  options: { rate: { type: 'string' }, clear: { type: 'boolean' } },
  minArgs: 2,
  maxArgs: 2,
  async run (ctx) {
    const [model, version] = ctx.args as [string, string]
    const rate = parseRate(ctx.flags.rate as string | undefined, ctx.flags.clear === true)
    const res = await ctx.client.setSampling(model, version, rate, ctx.revision)
    printModel(ctx, res.model, res.revision, `${model}: ${version} ${rate === null ? 'sampled at the config\'s rate' : `sampled at ${rate}`}`)
    return res
  }
})

export function parseRate (s: string | undefined, clear: boolean): number | null {
  if (clear && s !== undefined) throw new UsageError('give either --rate or --clear, not both')
  if (clear) return null
  if (s === undefined) throw new UsageError('--rate R (0..1) or --clear is required')
  if (!/^(0(\.\d{1,6})?|1(\.0{1,6})?|\.\d{1,6})$/.test(s)) throw new UsageError(`--rate must be a number from 0 to 1 with at most 6 decimals, got "${s.slice(0, 40)}"`)
  return Number(s)
}
