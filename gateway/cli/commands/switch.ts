/** `model-gateway switch <model> [<version>]`: blue-green switch; the old active stays warm as the preview. */
import { adminCommand, printModel } from '../admin-command.js'

export default adminCommand('switch', {
  summary: 'blue-green: make the preview (or <version>) active; the old active stays as the preview at 0%',
  usage: '<model> [<version>]',
  help: ['', '  --force           give weight even if the model requires verification and the version has none (audited)'],
  options: { force: { type: 'boolean' } },
  minArgs: 1,
  maxArgs: 2,
  async run (ctx) {
    const [model, version] = ctx.args as [string, string | undefined]
    const res = await ctx.client.switch(model, version, ctx.revision, ctx.flags.force === true)
    printModel(ctx, res.model, res.revision, `${model}: ${res.model.stable} is active`)
    return res
  }
})
