/** `model-gateway audit [--limit N]`: who changed the routing, when, and what changed (before → after). */
import { adminCommand, table, UsageError } from '../admin-command.js'
import { changes, note, when } from '../audit-view.js'

export default adminCommand('audit', {
  summary: 'show the latest routing changes: when, who, what changed (before → after), revisions',
  usage: '',
  help: [
    '',
    'CHANGE is read from the model before and after the entry (weights in percent);',
    'NOTE is the reason or the plain fields of the detail, cut to one line.',
    'Everything, with check figures and plans, is in --json.',
    '',
    '  --limit N         the newest N entries (default 50)'
  ],
  options: { limit: { type: 'string' } },
  minArgs: 0,
  maxArgs: 0,
  async run (ctx) {
    const raw = ctx.flags.limit as string | undefined
    if (raw !== undefined && !/^\d{1,4}$/.test(raw)) throw new UsageError(`--limit must be a number, got "${raw}"`)
    const res = await ctx.client.audit(raw === undefined ? undefined : Number(raw))
    const rows = res.entries.map(e => [when(e.at), e.actor, e.action, e.model ?? '', changes(e.before, e.after).join('; ') || '-', `${e.revisionBefore}→${e.revisionAfter}`, note(e.detail)])
    for (const l of table(['WHEN (UTC)', 'WHO', 'ACTION', 'MODEL', 'CHANGE', 'REVISION', 'NOTE'], rows)) ctx.out(l)
    return res
  }
})
