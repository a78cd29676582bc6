/** `model-gateway template list | show <name> | add <name> --plan FILE`: rollout plan templates (named, versioned). */
import { adminCommand, table, UsageError } from '../admin-command.js'
import { readPlan } from '../plan-file.js'

interface ListResponse { revision: number, templates: Array<{ name: string, latest: number, versions: Array<{ version: number, source: string, by: string, at: string | null }> }> }
interface ShowResponse { revision: number, name: string, versions: Array<{ version: number, source: string, by: string, at: string | null, plan: unknown }> }

export default adminCommand('template', {
  summary: 'rollout plan templates: list, show <name>, add <name> --plan FILE (a new version)',
  usage: '<list | show <name> | add <name> --plan FILE>',
  help: [
    '',
    'A model\'s plan (release.rollout, or "rollout start --template") names a template, optionally a version, and an',
    'override merged over it. Versions come from the config (rollouts.templates) and from "template add"; they never change.',
    '',
    '  --plan FILE     with add: the plan in YAML or JSON'
  ],
  options: { plan: { type: 'string' } },
  minArgs: 1,
  maxArgs: 2,
  async run (ctx) {
    const [sub, name] = ctx.args as [string, string | undefined]
    if (sub === 'list') {
      const res = await ctx.client.call<ListResponse>('GET', '/admin/rollout-templates')
      for (const l of table(['TEMPLATE', 'LATEST', 'VERSIONS'], res.templates.map(t => [t.name, String(t.latest), t.versions.map(v => `${v.version} (${v.source === 'config' ? 'config' : `${v.by} ${v.at ?? ''}`})`).join(', ')]))) ctx.out(l)
      return res
    }
    if (name === undefined) throw new UsageError(`template ${sub} needs <name>`)
    if (sub === 'show') {
      const res = await ctx.client.call<ShowResponse>('GET', `/admin/rollout-templates/${encodeURIComponent(name)}`)
      for (const v of res.versions) ctx.out(`${name} v${v.version} (${v.source}${v.at === null ? '' : `, ${v.by} ${v.at}`}):\n${JSON.stringify(v.plan, null, 2)}`)
      return res
    }
    if (sub !== 'add') throw new UsageError(`unknown template subcommand "${sub}" (use list, show, add)`)
    if (typeof ctx.flags.plan !== 'string') throw new UsageError('template add needs --plan FILE')
    const plan = await readPlan(ctx.flags.plan)
    const res = await ctx.client.call<{ revision: number, name: string, version: number }>('POST', `/admin/rollout-templates/${encodeURIComponent(name)}`, { plan, ...(ctx.revision === undefined ? {} : { revision: ctx.revision }) })
    ctx.out(`template ${name} version ${res.version} added; revision ${res.revision}`)
    return res
  }
})
