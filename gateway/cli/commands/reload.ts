/** `model-gateway reload`: the gateway re-reads its config file (as on SIGHUP); a bad file is refused and the running config stays. */
import { adminCommand } from '../admin-command.js'

export default adminCommand('reload', {
  summary: 'reload the config file of the gateway behind --admin-url (new models and versions appear)',
  usage: '',
  minArgs: 0,
  maxArgs: 0,
  async run (ctx) {
    const res = await ctx.client.reload()
    ctx.out(`reloaded ${res.file}; revision ${res.revision}; models: ${res.models.join(', ')}`)
    if (res.added.models.length > 0) ctx.out(`new models: ${res.added.models.join(', ')}`)
    if (res.added.versions.length > 0) ctx.out(`new versions (at 0%): ${res.added.versions.map(v => `${v.model}/${v.version}`).join(', ')}`)
    if (res.restartNeeded.length > 0) ctx.out(`changed but only applied on restart: ${res.restartNeeded.join(', ')}`)
    return res
  }
})
