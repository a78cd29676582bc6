/** `model-gateway promote <model> [<version>]`: the canary becomes the stable version at 100%. */
import { adminCommand, printModel } from '../admin-command.js'

export default adminCommand('promote', {
  summary: 'make the canary (or <version>) the stable version at 100%',
  usage: '<model> [<version>]',
  help: ['', '  --force           give weight even if the model requires verification and the version has none (audited)'],
  options: { force: { type: 'boolean' } },
  minArgs: 1,
  maxArgs: 2,
  async run (ctx) {
    const [model, version] = ctx.args as [string, string | undefined]
    const res = await ctx.client.promote(model, version, ctx.revision, ctx.flags.force === true)
    const h = res.model.holdback
    printModel(ctx, res.model, res.revision, `${model}: promoted ${res.model.stable}${h == null ? '' : `; ${h.version} held back until ${h.until} (rollback returns to it)`}`)
    return res
  }
})
