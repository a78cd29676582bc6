/** `model-gateway audit [--limit N]`: who changed the routing, when, and what. */
import { adminCommand, table, UsageError } from '../admin-command.js'

export default adminCommand('audit', {
  summary: 'show the latest routing changes: when, who, what, revisions',
  usage: '',
  options: { limit: { type: 'string' } },
  minArgs: 0,
  maxArgs: 0,
  async run (ctx) {
    const raw = ctx.flags.limit as string | undefined
    if (raw !== undefined && !/^\d{1,4}$/.test(raw)) throw new UsageError(`--limit must be a number, got "${raw}"`)
    const res = await ctx.client.audit(raw === undefined ? undefined : Number(raw))
    const rows = res.entries.map(e => [e.at, e.actor, e.action, e.model ?? '', JSON.stringify(e.detail), `${e.revisionBefore}->${e.revisionAfter}`])
    for (const l of table(['WHEN', 'WHO', 'ACTION', 'MODEL', 'DETAIL', 'REVISION'], rows)) ctx.out(l)
    return res
  }
})
