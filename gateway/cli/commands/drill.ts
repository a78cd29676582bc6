/** `model-gateway drill <model>`: a rollback drill now; the automatic rollback exercised on a copy of stable. */
import { adminCommand, percentToBp, UsageError } from '../admin-command.js'
import type { DrillRecord } from '../../state/routing-state.js'

/** Exit code of a drill that ran and failed (1 is for errors, 2 for usage). */
export const EXIT_DRILL_FAILED = 3
/** The drill waits for the controller and for every instance: give it time. */
const DRILL_TIMEOUT_MS = 120_000

interface DrillResponse { revision: number, model: string, drill: DrillRecord }

export default adminCommand('drill', {
  summary: 'rollback drill: a copy of stable at a small weight, rolled back by the controller; checks every instance applied it in time',
  usage: '<model>',
  help: [
    '',
    'Passes when the controller rolled the copy back and every gateway instance applied the rollback within the bound.',
    'The result is audited, stored with the model (metric model_gateway_drill_last_success_timestamp_seconds) and,',
    'with ClickHouse, written to the drills table. Exit code 0: passed; 3: ran and failed.',
    '',
    '  --bound-ms N     every instance must apply the rollback within N ms of its write (default rollouts.drills.boundMs)',
    '  --percent P      the copy\'s canary weight (default 1)'
  ],
  options: { 'bound-ms': { type: 'string' }, percent: { type: 'string' } },
  minArgs: 1,
  maxArgs: 1,
  async run (ctx) {
    const [model] = ctx.args as [string]
    const body: Record<string, number> = {}
    if (typeof ctx.flags['bound-ms'] === 'string') {
      if (!/^\d{3,6}$/.test(ctx.flags['bound-ms'])) throw new UsageError(`--bound-ms must be a number of milliseconds from 100 to 600000, got "${ctx.flags['bound-ms']}"`)
      body.boundMs = Number(ctx.flags['bound-ms'])
    }
    if (typeof ctx.flags.percent === 'string') body.weight = percentToBp(ctx.flags.percent)
    const res = await ctx.client.call<DrillResponse>('POST', `/admin/models/${encodeURIComponent(model)}/drill`, body, DRILL_TIMEOUT_MS)
    const d = res.drill
    ctx.out(`${model}: rollback drill ${d.passed ? 'PASSED' : 'FAILED'}: ${d.reason}; revision ${res.revision}`)
    return res
  },
  exitCode: (res) => (res as DrillResponse).drill.passed ? 0 : EXIT_DRILL_FAILED
})
