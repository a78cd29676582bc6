/** `model-gateway status`: every model's versions, weights, roles and healthy replicas, and the revision. */
import { adminCommand, formatPercent, modelRows, STATUS_HEADER, table, UsageError } from '../admin-command.js'
import type { ModelsResponse, ModelView } from '../admin-client.js'

/** Shadow and verification, when a model has them. */
function releaseGates (m: ModelView): string {
  const parts: string[] = []
  if (m.shadow != null) parts.push(`shadow ${m.shadow.version} at ${formatPercent(m.shadow.weight)}`)
  const verified = m.versions.filter(v => v.verified === true).map(v => v.name)
  if (m.requireVerification === true) parts.push(`verification required (verified: ${verified.join(', ') || 'none'})`)
  else if (verified.length > 0) parts.push(`verified: ${verified.join(', ')}`)
  return parts.length === 0 ? '' : `; ${parts.join('; ')}`
}

/** The state store when there is something to say: an outage, writes awaiting their outcome. */
function storeLines (h: ModelsResponse['store']): string[] {
  if (h === undefined) return []
  const out: string[] = []
  if (!h.available) out.push(`state store ${h.kind} UNAVAILABLE${h.unavailableSince === null ? '' : ` since ${h.unavailableSince}`}: serving the revision above, changes are refused${h.error === null ? '' : ` (${h.error})`}`)
  for (const p of h.pendingOperations) out.push(`operation ${p.operationId} (${p.action}${p.model === null ? '' : ` ${p.model}`} by ${p.actor}, ${p.since}): outcome not read back yet`)
  return out
}

export default adminCommand('status', {
  summary: 'show every model: versions, weights, roles, healthy replicas, and the revision',
  usage: '[<model>]',
  minArgs: 0,
  maxArgs: 1,
  async run (ctx) {
    const res = await ctx.client.models()
    const models = ctx.args[0] === undefined ? res.models : res.models.filter(m => m.name === ctx.args[0])
    if (models.length === 0 && ctx.args[0] !== undefined) throw new UsageError(`no model "${ctx.args[0]}" (have: ${res.models.map(m => m.name).join(', ')})`)
    for (const l of table(STATUS_HEADER, models.flatMap(modelRows))) ctx.out(l)
    ctx.out('')
    for (const m of models) ctx.out(`${m.name}: strategy ${m.strategy}, release ${m.releaseName}${m.served ? '' : ' (not served by this instance)'}${releaseGates(m)}`)
    ctx.out(`revision ${res.revision} (instance ${res.instanceId})`)
    for (const l of storeLines(res.store)) ctx.out(l)
    return res
  }
})
