/** `model-gateway register <model> <version> <url>...`: adds a version with its replicas at 0% traffic. */
import { adminCommand, printModel } from '../admin-command.js'

export default adminCommand('register', {
  summary: 'add a version with its replica URLs, at 0% traffic',
  usage: '<model> <version> <replica-url>...',
  minArgs: 3,
  maxArgs: 258,
  async run (ctx) {
    const [model, version, ...urls] = ctx.args as [string, string, ...string[]]
    const res = await ctx.client.register(model, version, urls, ctx.revision)
    printModel(ctx, res.model, res.revision, `${model}: registered ${version} with ${urls.length} replica(s)`)
    return res
  }
})
