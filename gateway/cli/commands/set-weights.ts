/** `model-gateway set-weights <model> v1=90 v2=10`: sets the traffic split (percent, or basis points with --bp). */
import { adminCommand, parseWeights, printModel } from '../admin-command.js'

export default adminCommand('set-weights', {
  summary: 'set the traffic split of a model, e.g. set-weights fraud v1=90 v2=10',
  usage: '<model> <version>=<percent>...',
  help: ['', 'Percentages may have two decimals (12.5); with --bp the values are basis points (10000 = 100%).', 'They must add up to 100%. On a canary model the canary keeps its users as it grows.', '  --force           give weight even if the model requires verification and the version has none (audited)'],
  options: { bp: { type: 'boolean' }, force: { type: 'boolean' } },
  minArgs: 2,
  maxArgs: 64,
  async run (ctx) {
    const [model, ...pairs] = ctx.args as [string, ...string[]]
    const weights = parseWeights(pairs, ctx.flags.bp === true)
    const res = await ctx.client.setSplit(model, weights, ctx.revision, ctx.flags.force === true)
    printModel(ctx, res.model, res.revision, `${model}: split set`)
    return res
  }
})
