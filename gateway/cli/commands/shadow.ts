/** `model-gateway shadow <model> <version> --percent P` / `shadow <model> --stop`: mirror live requests to a version. */
import { adminCommand, formatPercent, percentToBp, UsageError } from '../admin-command.js'

export default adminCommand('shadow', {
  summary: 'mirror a share of live requests to <version> off the response path (or --stop)',
  usage: '<model> [<version>] (--percent P | --stop)',
  help: [
    '',
    'Requests are chosen by a hash of their request id, the same on every instance. Clients never wait for the shadow;',
    'each pair of answers goes to the shadow_pairs table (see "npx model-gateway report shadow <model>").',
    '',
    '  --percent P   share of live requests to mirror (0.01 to 100)',
    '  --stop        stop mirroring'
  ],
  options: { percent: { type: 'string' }, stop: { type: 'boolean' } },
  minArgs: 1,
  maxArgs: 2,
  async run (ctx) {
    const [model, version] = ctx.args as [string, string | undefined]
    if (ctx.flags.stop === true) {
      if (version !== undefined || ctx.flags.percent !== undefined) throw new UsageError('--stop takes only the model')
      const res = await ctx.client.stopShadow(model)
      ctx.out(`${model}: shadow stopped; revision ${res.revision}`)
      return res
    }
    if (version === undefined || typeof ctx.flags.percent !== 'string') throw new UsageError('give <version> and --percent P, or --stop')
    const weight = percentToBp(ctx.flags.percent)
    if (weight === 0) throw new UsageError('--percent must be more than 0 (use --stop to stop)')
    const res = await ctx.client.shadow(model, version, weight, ctx.revision)
    ctx.out(`${model}: ${formatPercent(weight)} of requests mirrored to ${version}; revision ${res.revision}`)
    return res
  }
})
