/**
 * `model-gateway apps [list] | show <app> | set <app> … | delete <app>`: the
 * applications allowed on the data plane (access control), with their models,
 * explicit versions, rights and quotas. Keys: `model-gateway keys`.
 */
import { adminCommand, table, UsageError, type CommandContext } from '../admin-command.js'
import type { ApplicationAnswer, ApplicationsAnswer, ApplicationView } from '../../admin/access-routes.js'

type AppsResponse = ApplicationsAnswer
type AppResponse = ApplicationAnswer

const SUBCOMMANDS = ['list', 'show', 'set', 'delete'] as const

export default adminCommand('apps', {
  summary: 'data-plane applications: list, show, set (models, versions, rights, quotas), delete',
  usage: '[list | show <app> | set <app> --models M,… | delete <app>]',
  help: [
    '',
    '  apps set <app> --models fraud,churn     models the application may score ("*": all)',
    '      [--versions fraud=v2+v3,churn=*]     versions it may name explicitly, per model (routed requests need none)',
    '      [--rights batch,outcomes]            batch: may mark traffic as batch; outcomes: may report outcomes',
    '      [--quota RPS[/BURST]]                requests per second per model for the whole fleet',
    '      [--model-quota fraud=RPS[/BURST],…]  a model\'s own quota instead',
    '  "set" replaces everything but the keys. Add keys with "model-gateway keys add <app> <name>".'
  ],
  options: { models: { type: 'string' }, versions: { type: 'string' }, rights: { type: 'string' }, quota: { type: 'string' }, 'model-quota': { type: 'string' } },
  minArgs: 0,
  maxArgs: 2,
  async run (ctx) {
    const [sub = 'list', app] = ctx.args as [string | undefined, string | undefined]
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown apps subcommand "${sub}" (use ${SUBCOMMANDS.join(', ')})`)
    if ((sub === 'list') !== (app === undefined)) throw new UsageError(sub === 'list' ? 'apps list takes no application' : `apps ${sub} needs <app>`)
    const base = '/admin/applications'
    switch (sub) {
      case 'list': {
        const res = await ctx.client.call<AppsResponse>('GET', base)
        const rows = res.applications.map(a => [a.name, a.models.join(','), a.rights.join(',') || '-', quotaText(a), String(a.keys.length)])
        for (const l of table(['APPLICATION', 'MODELS', 'RIGHTS', 'QUOTA', 'KEYS'], rows)) ctx.out(l)
        ctx.out(`access revision ${res.revision}; quotas are shared by ${res.instances} instance(s)`)
        return res
      }
      case 'show': {
        const res = await ctx.client.call<AppResponse>('GET', `${base}/${encodeURIComponent(app!)}`)
        printApp(ctx, res.application)
        return res
      }
      case 'set': {
        const res = await ctx.client.call<AppResponse>('PUT', `${base}/${encodeURIComponent(app!)}`, appBody(ctx.flags))
        ctx.out(`application ${app!} set; access revision ${res.revision}`)
        printApp(ctx, res.application)
        return res
      }
      default: {
        const res = await ctx.client.call<{ revision: number }>('DELETE', `${base}/${encodeURIComponent(app!)}`)
        ctx.out(`application ${app!} deleted with its keys; access revision ${res.revision}`)
        return res
      }
    }
  }
})

/** The PUT body from the flags of `apps set`. */
export function appBody (flags: Record<string, string | boolean | undefined>): Record<string, unknown> {
  if (typeof flags.models !== 'string' || flags.models === '') throw new UsageError('apps set needs --models M,… ("*" for all)')
  const body: Record<string, unknown> = { models: list(flags.models) }
  if (typeof flags.versions === 'string') body.versions = Object.fromEntries(pairs(flags.versions, '--versions').map(([m, v]) => [m, v.split('+')]))
  if (typeof flags.rights === 'string') body.rights = list(flags.rights)
  if (typeof flags.quota === 'string') body.quota = parseQuota(flags.quota)
  if (typeof flags['model-quota'] === 'string') body.quotas = Object.fromEntries(pairs(flags['model-quota'], '--model-quota').map(([m, q]) => [m, parseQuota(q)]))
  return body
}

/** "100" or "100/20" -> {rps, burst?}. */
export function parseQuota (s: string): { rps: number, burst?: number } {
  const m = /^(\d+(?:\.\d+)?)(?:\/(\d+))?$/.exec(s)
  if (m === null || Number(m[1]) <= 0) throw new UsageError(`"${s}" is not RPS or RPS/BURST (e.g. 100 or 100/20)`)
  return m[2] === undefined ? { rps: Number(m[1]) } : { rps: Number(m[1]), burst: Number(m[2]) }
}

function list (s: string): string[] {
  return s.split(',').map(x => x.trim()).filter(x => x !== '')
}

function pairs (s: string, flag: string): Array<[string, string]> {
  return list(s).map((p) => {
    const i = p.indexOf('=')
    if (i <= 0 || i === p.length - 1) throw new UsageError(`${flag}: "${p}" is not <model>=<value>`)
    return [p.slice(0, i), p.slice(i + 1)]
  })
}

function quotaText (a: ApplicationView): string {
  const q = a.quota === null ? '-' : `${a.quota.rps}/s (burst ${a.quota.burst})`
  const n = Object.keys(a.quotas).length
  return n === 0 ? q : `${q} +${n} per model`
}

function printApp (ctx: CommandContext, a: ApplicationView): void {
  ctx.out(`application ${a.name}`)
  ctx.out(`  models:   ${a.models.join(', ')}`)
  const versions = Object.entries(a.versions).map(([m, vs]) => `${m}=${vs.join('+')}`)
  ctx.out(`  versions: ${versions.length === 0 ? '(routed only)' : versions.join(', ')}`)
  ctx.out(`  rights:   ${a.rights.length === 0 ? '-' : a.rights.join(', ')}`)
  ctx.out(`  quota:    ${quotaText(a)}`)
  for (const [m, q] of Object.entries(a.quotas)) ctx.out(`    ${m}: ${q.rps}/s (burst ${q.burst})`)
  const rows = a.keys.map(k => [k.name, k.id, k.createdAt, k.expiresAt ?? '-'])
  for (const l of table(['KEY', 'ID', 'CREATED', 'EXPIRES'], rows)) ctx.out(`  ${l}`)
}
