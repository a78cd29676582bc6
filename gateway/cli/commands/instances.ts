/** `model-gateway instances`: the gateway instances sharing the routing state and the revision each has applied. */
import { adminCommand, table } from '../admin-command.js'

export default adminCommand('instances', {
  summary: 'list gateway instances, the revision each has applied, and whether it is current',
  usage: '',
  minArgs: 0,
  maxArgs: 0,
  async run (ctx) {
    const res = await ctx.client.instances()
    const rows = res.instances.map(i => [i.instanceId + (i.self ? ' *' : ''), String(i.revision), i.current ? 'yes' : 'NO', i.lastSeen, i.address ?? ''])
    for (const l of table(['INSTANCE', 'REVISION', 'CURRENT', 'LAST SEEN', 'ADDRESS'], rows)) ctx.out(l)
    ctx.out(`revision ${res.revision}; * = the instance that answered`)
    return res
  }
})
