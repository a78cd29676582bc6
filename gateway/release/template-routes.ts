/**
 * Plan templates over the admin API:
 *   GET  /admin/rollout-templates          every template with its versions (config and admin)
 *   GET  /admin/rollout-templates/{name}   one template's versions with their plans
 *   POST /admin/rollout-templates/{name}   { plan, revision? }: its next version (201), audited
 * A version once written never changes; a model's plan names a template and
 * optionally a version (default: the newest).
 */
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { AdminModule } from '../admin/listener.js'
import type { StateStore } from '../control/store.js'
import type { TemplateConfig } from '../config/schema.js'
import { GatewayError } from '../errors.js'
import { NAME_PATTERN } from '../state/names.js'
import { addTemplate, allTemplates } from './templates.js'

const AddBody = Type.Object({ plan: Type.Object({}), revision: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false })
const NameParams = Type.Object({ name: Type.String({ pattern: NAME_PATTERN }) })

export function templateAdminModule (store: StateStore, config: readonly TemplateConfig[], now: () => number): AdminModule {
  return (app: FastifyInstance) => {
    void app.register(async (scope) => {
      scope.get('/admin/rollout-templates', async () => {
        const s = store.get()
        const templates = [...allTemplates(config, s)].map(([name, list]) => ({
          name,
          latest: list[list.length - 1]!.version,
          versions: list.map(t => ({ version: t.version, source: t.source, by: t.by, at: t.at === 0 ? null : new Date(t.at).toISOString() }))
        }))
        return { revision: s.revision, templates }
      })
      scope.get<{ Params: Static<typeof NameParams> }>('/admin/rollout-templates/:name', { schema: { params: NameParams } }, async (request) => {
        const s = store.get()
        const list = allTemplates(config, s).get(request.params.name)
        if (list === undefined) throw new GatewayError('GW_UNKNOWN_TEMPLATE', { detail: request.params.name })
        return { revision: s.revision, name: request.params.name, versions: list.map(t => ({ version: t.version, source: t.source, by: t.by, at: t.at === 0 ? null : new Date(t.at).toISOString(), plan: t.plan })) }
      })
      scope.post<{ Params: Static<typeof NameParams>, Body: Static<typeof AddBody> }>('/admin/rollout-templates/:name', { schema: { params: NameParams, body: AddBody } }, async (request, reply) => {
        const { name } = request.params
        const actor = request.principal?.name ?? 'unknown'
        const s = await store.update(request.body.revision, addTemplate(name, request.body.plan, config, actor, now()), { actor, action: 'template-add', detail: { template: name, plan: request.body.plan } })
        const list = allTemplates(config, s).get(name)!
        const added = list[list.length - 1]!
        request.log.info({ actor, template: name, version: added.version, revision: s.revision }, 'plan template added')
        return reply.code(201).send({ revision: s.revision, name, version: added.version })
      })
    })
  }
}
