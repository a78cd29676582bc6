/** `model-gateway retire <model> <version>`: removes a version that takes no traffic. */
import { adminCommand, printModel } from '../admin-command.js'

export default adminCommand('retire', {
  summary: 'remove a version at 0% that is neither stable nor the canary/preview',
  usage: '<model> <version>',
  minArgs: 2,
  maxArgs: 2,
  async run (ctx) {
    const [model, version] = ctx.args as [string, string]
    const res = await ctx.client.retire(model, version, ctx.revision)
    printModel(ctx, res.model, res.revision, `${model}: retired ${version}`)
    return res
  }
})
