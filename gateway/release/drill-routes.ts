/**
 * Rollback drills over the admin API:
 *   POST /admin/models/{m}/drill   { boundMs?, weight? }: runs one now and answers its result
 *                                  (200 whether it passed or not; 409 when the model is busy)
 *   GET  /admin/models/{m}/drill   the model's last drill and when the last one passed
 */
import type { FastifyInstance } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import type { AdminModule } from '../admin/listener.js'
import { ModelParams } from '../admin/validation.js'
import type { StateStore } from '../control/store.js'
import { errors } from '../errors.js'
import { TOTAL_BP } from '../state/split.js'
import type { DrillService } from './drill-service.js'

const DrillBody = Type.Object({
  boundMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
  weight: Type.Optional(Type.Integer({ minimum: 1, maximum: TOTAL_BP }))
}, { additionalProperties: false })

export function drillAdminModule (store: StateStore, drills: DrillService): AdminModule {
  return (app: FastifyInstance) => {
    void app.register(async (scope) => {
      scope.post<{ Params: Static<typeof ModelParams>, Body: Static<typeof DrillBody> }>('/admin/models/:model/drill', { schema: { params: ModelParams, body: DrillBody } }, async (request) => {
        const { model } = request.params
        if (store.get().models[model] === undefined) throw errors.unknownModel(model)
        const d = drills.defaults
        let drill
        try {
          drill = await drills.run(model, { boundMs: request.body.boundMs ?? d.boundMs, weight: request.body.weight ?? d.weight }, request.principal?.name ?? 'unknown')
        } catch (err) {
          if (err instanceof Error && err.message.startsWith('a drill of')) throw errors.conflict(err.message, { model })
          throw err
        }
        return { revision: store.get().revision, model, drill }
      })
      scope.get<{ Params: Static<typeof ModelParams> }>('/admin/models/:model/drill', { schema: { params: ModelParams } }, async (request) => {
        const ms = store.get().models[request.params.model]
        if (ms === undefined) throw errors.unknownModel(request.params.model)
        return { revision: store.get().revision, model: request.params.model, drill: ms.lastDrill ?? null, lastSuccessAt: ms.lastSuccessfulDrill == null ? null : new Date(ms.lastSuccessfulDrill).toISOString() }
      })
    })
  }
}
