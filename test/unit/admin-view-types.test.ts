import { describe, expectTypeOf, it } from 'vitest'
import type * as cli from '../../gateway/cli/admin-client.js'
import type { AuditAnswer, InstancesAnswer, ModelAnswer, ModelsAnswer, OperationAnswer, WriteAnswer } from '../../gateway/admin/control-routes.js'
import type { ModelView, ReplicaView, VersionView } from '../../gateway/admin/model-view.js'
import type { ShadowAnswer, VerifyAnswer, VerifyRequest } from '../../gateway/admin/release-routes.js'
import type { ReloadResult } from '../../gateway/reload.js'

// Compile-time checks: tsc (npm run typecheck) fails when the CLI's view of an
// admin answer and the server's differ.
describe('admin API types seen by the CLI', () => {
  it('model views are the server\'s', () => {
    expectTypeOf<cli.ModelView>().toEqualTypeOf<ModelView>()
    expectTypeOf<cli.VersionView>().toEqualTypeOf<VersionView>()
    expectTypeOf<cli.ReplicaView>().toEqualTypeOf<ReplicaView>()
  })

  it('control answers are the server\'s', () => {
    expectTypeOf<cli.ModelsResponse>().toEqualTypeOf<ModelsAnswer>()
    expectTypeOf<cli.ModelResponse>().toEqualTypeOf<ModelAnswer | WriteAnswer>()
    expectTypeOf<cli.AuditResponse>().toEqualTypeOf<AuditAnswer>()
    expectTypeOf<cli.OperationResponse>().toEqualTypeOf<OperationAnswer>()
    expectTypeOf<cli.InstancesResponse>().toEqualTypeOf<InstancesAnswer>()
    expectTypeOf<cli.ReloadResponse>().toEqualTypeOf<ReloadResult>()
  })

  it('verification and shadow bodies and answers are the server\'s', () => {
    expectTypeOf<cli.VerifyRequestBody>().toEqualTypeOf<VerifyRequest>()
    expectTypeOf<cli.VerifyResponse>().toEqualTypeOf<VerifyAnswer>()
    expectTypeOf<cli.ShadowResponse>().toEqualTypeOf<ShadowAnswer>()
  })

  it('a write answer carries the model view and the operation id', () => {
    expectTypeOf<WriteAnswer>().toEqualTypeOf<{ revision: number, operationId: string, model: ModelView }>()
  })
})
