/** `model-gateway rollback <model>`: the stable version back at 100% (blue-green: back to the previous active). */
import { adminCommand, printModel } from '../admin-command.js'

export default adminCommand('rollback', {
  summary: 'send all traffic back to the stable version (blue-green: switch back to the previous active)',
  usage: '<model>',
  minArgs: 1,
  maxArgs: 1,
  async run (ctx) {
    const [model] = ctx.args as [string]
    const res = await ctx.client.rollback(model, ctx.revision)
    printModel(ctx, res.model, res.revision, `${model}: rolled back to ${res.model.stable}`)
    return res
  }
})
