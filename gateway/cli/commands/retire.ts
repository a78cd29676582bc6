/** `model-gateway retire <model> <version> [--force]`: removes a version that takes no traffic. */
import { adminCommand, printModel } from '../admin-command.js'

export default adminCommand('retire', {
  summary: 'remove a version at 0% that is neither stable nor the canary/preview',
  usage: '<model> <version>',
  help: ['', '  --force           retire it even while it is held back after a promotion (rollback can then no longer return to it; audited)'],
  options: { force: { type: 'boolean' } },
  minArgs: 2,
  maxArgs: 2,
  async run (ctx) {
    const [model, version] = ctx.args as [string, string]
    const res = await ctx.client.retire(model, version, ctx.revision, ctx.flags.force === true)
    printModel(ctx, res.model, res.revision, `${model}: retired ${version}`)
    return res
  }
})
