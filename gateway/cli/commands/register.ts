/** `model-gateway register <model> <version> <url>...`: adds a version with its replicas at 0% traffic. */
import { adminCommand, printModel } from '../admin-command.js'

export default adminCommand('register', {
  summary: 'add a version with its replica URLs, at 0% traffic',
  usage: '<model> <version> <replica-url>... [--upstream-model NAME] [--upstream-version N]',
  help: [
    '',
    '  --upstream-model NAME   the model name the replicas serve it under (default: <model>)',
    '  --upstream-version N    the replicas serve it at /v2/models/{name}/versions/N/… (one server, several versions)'
  ],
  options: {
    'upstream-model': { type: 'string' },
    'upstream-version': { type: 'string' }
  },
  minArgs: 3,
  maxArgs: 258,
  async run (ctx) {
    const [model, version, ...urls] = ctx.args as [string, string, ...string[]]
    const upModel = ctx.flags['upstream-model'] as string | undefined
    const upVersion = ctx.flags['upstream-version'] as string | undefined
    const upstream = upModel === undefined && upVersion === undefined
      ? undefined
      : { ...(upModel === undefined ? {} : { model: upModel }), ...(upVersion === undefined ? {} : { version: upVersion }) }
    const res = await ctx.client.register(model, version, urls, ctx.revision, upstream)
    printModel(ctx, res.model, res.revision, `${model}: registered ${version} with ${urls.length} replica(s)${upstream === undefined ? '' : ` (upstream ${upstream.model ?? model}${upstream.version === undefined ? '' : ` version ${upstream.version}`})`}`)
    return res
  }
})
