/**
 * `model-gateway rollout start|status|pause|resume|abort|explain <model> …`:
 * automated canary rollouts through the admin API (gateway/release/).
 */
import { writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { adminCommand, table, UsageError, type CommandContext } from '../admin-command.js'
import { formatBp } from '../../release/plan.js'
import { readPlan, readYaml } from '../plan-file.js'
import { formatStatus } from '../../release/status.js'
import type { ExplainAnswer, RolloutAnswer, RolloutsAnswer } from '../../release/admin-routes.js'
import { timelineSvg } from '../../release/timeline-svg.js'
import { seconds } from '../../release/steps.js'

type StatusResponse = RolloutAnswer
type ListResponse = RolloutsAnswer
type ExplainResponse = ExplainAnswer

const SUBCOMMANDS = ['start', 'status', 'pause', 'resume', 'abort', 'approve', 'explain', 'list'] as const
const LIVE_REFRESH_MS = 1_000
const ACTIVE = ['queued', 'running', 'paused', 'held', 'watching']

export default adminCommand('rollout', {
  summary: 'automated rollout: start, status, pause, resume, abort, approve, explain, list',
  usage: '<start|status|pause|resume|abort|approve|explain> <model> [version] | list',
  help: [
    '',
    '  rollout start <model> <version> [--plan FILE | --template NAME [--template-version N] [--override FILE]]',
    '                                                  roll <version> out step by step (plan: YAML, or a plan template with an',
    '                                                  override merged over it; default: the model\'s release.rollout)',
    '  rollout status <model> [--once] [--wide]        step, weight, time left, each check: why, then its figures (live on a terminal until it ends)',
    '  rollout pause|resume|abort <model>              hold at the current weight / go on / roll back at once',
    '  rollout approve <model>                         pass an approval step (a plan may require another token than the starter\'s)',
    '  rollout list                                    every model\'s rollout, the release queue and its positions',
    '  rollout explain <model> [--svg FILE]            every decision with its numbers; --svg writes a timeline picture',
    '',
    '  --plan FILE       rollout plan in YAML or JSON',
    '  --once            print the status once even on a terminal',
    '  --wide            one line per item, however long (by default lines fit 100 columns)',
    '  --svg FILE        with explain: write an SVG timeline of weight and check results'
  ],
  options: { plan: { type: 'string' }, template: { type: 'string' }, 'template-version': { type: 'string' }, override: { type: 'string' }, once: { type: 'boolean' }, wide: { type: 'boolean' }, svg: { type: 'string' } },
  minArgs: 1,
  maxArgs: 3,
  async run (ctx) {
    const [sub, model, version] = ctx.args as [string, string, string | undefined]
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown rollout subcommand "${sub}" (use ${SUBCOMMANDS.join(', ')})`)
    if (sub === 'list') {
      if (model !== undefined) throw new UsageError('rollout list takes no arguments')
      return list(ctx)
    }
    if (model === undefined) throw new UsageError(`rollout ${sub} needs <model>`)
    if ((sub === 'start') !== (version !== undefined)) throw new UsageError(sub === 'start' ? 'rollout start needs <model> <version>' : `rollout ${sub} takes only <model>`)
    const base = `/admin/models/${encodeURIComponent(model)}/rollout`
    switch (sub) {
      case 'start': {
        const body: Record<string, unknown> = { version }
        if (typeof ctx.flags.plan === 'string') body.plan = await readPlan(ctx.flags.plan)
        if (typeof ctx.flags.template === 'string') body.template = ctx.flags.template
        if (typeof ctx.flags['template-version'] === 'string') {
          if (!/^\d{1,7}$/.test(ctx.flags['template-version'])) throw new UsageError(`--template-version must be a version number, got "${ctx.flags['template-version']}"`)
          body.templateVersion = Number(ctx.flags['template-version'])
        }
        if (typeof ctx.flags.override === 'string') body.override = await readYaml(ctx.flags.override)
        if (ctx.revision !== undefined) body.revision = ctx.revision
        const res = await ctx.client.call<StatusResponse>('POST', base, body)
        ctx.out(`${model}: rollout of ${version} started; revision ${res.revision}`)
        for (const l of formatStatus(res.view, Date.now(), ctx.flags.wide === true)) ctx.out(l)
        return res
      }
      case 'status':
        return status(ctx, base)
      case 'pause':
      case 'resume':
      case 'approve':
      case 'abort': {
        const res = await ctx.client.call<StatusResponse>('POST', `${base}/${sub}`, ctx.revision === undefined ? {} : { revision: ctx.revision })
        ctx.out(`${model}: rollout ${sub === 'abort' ? `aborted (${res.view.weight === 0 || res.view.strategy === 'blue-green' ? `${res.view.stable} serves 100%` : 'stable at 100%'})` : `${sub}d`}; revision ${res.revision}`)
        for (const l of formatStatus(res.view, Date.now(), ctx.flags.wide === true)) ctx.out(l)
        return res
      }
      case 'explain': {
        const res = await ctx.client.call<ExplainResponse>('GET', `${base}/explain`)
        for (const l of explainLines(res)) ctx.out(l)
        if (typeof ctx.flags.svg === 'string') {
          await writeFile(ctx.flags.svg, timelineSvg(`rollout of ${model} ${res.rollout.version}: ${res.rollout.status}`, res.entries))
          ctx.out(`timeline written to ${ctx.flags.svg}`)
        }
        return res
      }
    }
    return null
  }
})

async function status (ctx: CommandContext, base: string): Promise<unknown> {
  const live = process.stdout.isTTY && !ctx.json && ctx.flags.once !== true
  let res = await ctx.client.call<StatusResponse>('GET', base)
  if (!live) {
    for (const l of formatStatus(res.view, Date.now(), ctx.flags.wide === true)) ctx.out(l)
    return res
  }
  // Live on a terminal: redraw every second until the rollout ends (Ctrl-C stops watching, not the rollout).
  let drawn = 0
  for (;;) {
    const lines = formatStatus(res.view, Date.now(), ctx.flags.wide === true)
    process.stdout.write(`${drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ''}${lines.join('\n')}\n`)
    drawn = lines.length
    if (!ACTIVE.includes(res.rollout.status)) return res
    await sleep(LIVE_REFRESH_MS)
    res = await ctx.client.call<StatusResponse>('GET', base)
  }
}

async function list (ctx: CommandContext): Promise<ListResponse> {
  const res = await ctx.client.call<ListResponse>('GET', '/admin/rollouts')
  ctx.out(`${res.inProgress} in progress${res.maxInProgress === null ? '' : ` (at most ${res.maxInProgress})`}, ${res.queued} queued; revision ${res.revision}`)
  const rows = res.rollouts.map(v => [
    v.model, v.version, v.status + (v.queuePosition === null ? '' : ` #${v.queuePosition}`),
    v.status === 'queued' ? '-' : `${v.step}/${v.steps} ${v.stepKind}`, formatBp(v.weight), v.startedBy, v.startedAt
  ])
  for (const l of table(['MODEL', 'VERSION', 'STATUS', 'STEP', 'WEIGHT', 'BY', 'STARTED'], rows)) ctx.out(l)
  return res
}

export function explainLines (res: ExplainResponse): string[] {
  const out: string[] = [`rollout of ${res.rollout.version}: ${res.rollout.status}; ${res.entries.length} decisions`]
  const t0 = res.entries[0]?.at ?? 0
  for (const e of res.entries) {
    out.push(`+${seconds(e.at - t0).padStart(7)}  ${new Date(e.at).toISOString()}  ${e.instanceId}  ${e.action.padEnd(10)} step ${e.step + 1} at ${formatBp(e.weight)}: ${e.reason}`)
    for (const c of e.checks) out.push(`            ${c.check.padEnd(8)} ${c.verdict.padEnd(12)} ${c.summary}`)
  }
  return out
}
