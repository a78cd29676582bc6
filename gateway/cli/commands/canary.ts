/** `model-gateway canary <model> <version> <percent>`: sends a share of users to a canary of the stable version. */
import { adminCommand, parseBp, percentToBp, printModel } from '../admin-command.js'

export default adminCommand('canary', {
  summary: 'send <percent> of traffic to <version> as a canary of the stable version',
  usage: '<model> <version> <percent>',
  help: ['', 'A new canary version starts a new release (fresh sample of users); changing the percent keeps the users it has.', '  --force           give weight even if the model requires verification and the version has none (audited)'],
  options: { bp: { type: 'boolean' }, force: { type: 'boolean' } },
  minArgs: 3,
  maxArgs: 3,
  async run (ctx) {
    const [model, version, amount] = ctx.args as [string, string, string]
    const weight = ctx.flags.bp === true ? parseBp(amount) : percentToBp(amount)
    const res = await ctx.client.canary(model, version, weight, ctx.revision, ctx.flags.force === true)
    printModel(ctx, res.model, res.revision, `${model}: canary ${version} at ${amount}${ctx.flags.bp === true ? ' bp' : '%'}`)
    return res
  }
})
