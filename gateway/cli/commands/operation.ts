/** `model-gateway operation <id>`: whether the admin write with this operation id applied. */
import { adminCommand } from '../admin-command.js'

export default adminCommand('operation', {
  summary: 'say whether an admin write applied (its operation id is in every write answer)',
  usage: '<operation-id>',
  help: [
    '',
    '  applied       the routing state holds it (at the revision shown)',
    '  not-applied   read back after its deadline and absent: it never will apply',
    '  pending       answered "outcome unknown"; read back once the state store answers',
    '  unknown       no record of this id (mistyped, or older than the records kept)'
  ],
  minArgs: 1,
  maxArgs: 1,
  async run (ctx) {
    const res = await ctx.client.operation(ctx.args[0]!)
    const o = res.operation
    ctx.out(`operation ${o.operationId}: ${o.outcome}${o.revision === null ? '' : ` at revision ${o.revision}`}${o.action === null ? '' : ` (${o.action}${o.model === null ? '' : ` ${o.model}`})`}; from ${o.source}`)
    return res
  },
  exitCode: (res) => (res as { operation: { outcome: string } }).operation.outcome === 'applied' ? 0 : 3
})
