/** `model-gateway replicas add|remove <model> <version> <url>...`: changes a version's replica list (setups without DNS discovery). */
import { adminCommand, printModel, UsageError } from '../admin-command.js'

export default adminCommand('replicas', {
  summary: 'add or remove replica URLs of a version (revisioned, audited)',
  usage: 'add|remove <model> <version> <replica-url>...',
  help: [
    'A removed replica finishes the requests it has in flight; replicas that stay keep their health state.'
  ],
  minArgs: 4,
  maxArgs: 259,
  async run (ctx) {
    const [verb, model, version, ...urls] = ctx.args as [string, string, string, ...string[]]
    if (verb !== 'add' && verb !== 'remove') throw new UsageError(`the first argument is "add" or "remove", got "${verb}"`)
    const res = await ctx.client.replicas(model, version, verb === 'add' ? { add: urls } : { remove: urls }, ctx.revision)
    printModel(ctx, res.model, res.revision, `${model}: ${verb === 'add' ? 'added' : 'removed'} ${urls.length} replica(s) ${verb === 'add' ? 'to' : 'from'} ${version}`)
    return res
  }
})
