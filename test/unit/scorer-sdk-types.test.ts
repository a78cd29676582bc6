import { describe, expectTypeOf, it } from 'vitest'
import { serve } from '../../scorer-sdk/index.js'
import type {
  Datatype, InferOptions, InferResult, Outcome, PredictContext, RequestTensor, ScorerClient, ScorerError, ScorerServer,
  ScorerTimeoutError, ServeOptions, Tensor
} from '../../scorer-sdk/index.js'

// Compile-time checks: tsc fails the build when the public types drift.
describe('scorer-sdk public types', () => {
  it('infer() takes request tensors and resolves to an InferResult', () => {
    expectTypeOf<ScorerClient['infer']>().parameter(0).toEqualTypeOf<readonly RequestTensor[]>()
    expectTypeOf<ScorerClient['infer']>().parameter(1).toEqualTypeOf<InferOptions | undefined>()
    expectTypeOf<ScorerClient['infer']>().returns.resolves.toEqualTypeOf<InferResult>()
    expectTypeOf<InferResult>().toEqualTypeOf<{
      outputs: Tensor[]
      version: string | undefined
      requestId: string
      status: number
    }>()
    expectTypeOf<InferOptions>().toEqualTypeOf<{ stickyKey?: string; version?: string; requestId?: string }>()
  })

  it('reportOutcome() takes a request id and a number (a value) or an Outcome, and resolves to what was accepted', () => {
    expectTypeOf<ScorerClient['reportOutcome']>().parameters.toEqualTypeOf<[string, number | Outcome]>()
    expectTypeOf<ScorerClient['reportOutcome']>().returns.resolves.toEqualTypeOf<{ accepted: number }>()
    expectTypeOf<Outcome>().toEqualTypeOf<{ label?: number | boolean, value?: number, at?: Date | number | string }>()
  })

  it('accepts nested tensor data from applications', () => {
    expectTypeOf({ name: 'features', shape: [2, 4], datatype: 'FP32' as const, data: [[1, 2, 3, 4], [5, 6, 7, 8]] })
      .toExtend<RequestTensor>()
    expectTypeOf({ name: 'features', shape: [1], datatype: 'FLOAT', data: [1] }).not.toExtend<RequestTensor>()
  })

  it('serve() requires name, version and predict and resolves to a ScorerServer', () => {
    expectTypeOf(serve).parameter(0).toEqualTypeOf<ServeOptions>()
    expectTypeOf(serve).returns.resolves.toEqualTypeOf<ScorerServer>()
    expectTypeOf<ScorerServer>().toEqualTypeOf<{ url: string; port: number; close(): Promise<void> }>()
    expectTypeOf({ name: 'm', version: '1' }).not.toExtend<ServeOptions>()
    expectTypeOf({ name: 'm', version: '1', predict: () => [] }).toExtend<ServeOptions>()
    expectTypeOf<ServeOptions['host']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<ServeOptions['port']>().toEqualTypeOf<number | undefined>()
    expectTypeOf<ServeOptions['ready']>().toEqualTypeOf<(() => boolean) | undefined>()
    expectTypeOf<ServeOptions['platform']>().toEqualTypeOf<string | undefined>()
  })

  it('predict() gets typed tensors and may answer synchronously or not', () => {
    expectTypeOf<ServeOptions['predict']>().parameters.toEqualTypeOf<[Tensor[], PredictContext]>()
    expectTypeOf<ServeOptions['predict']>().returns.toEqualTypeOf<Tensor[] | Promise<Tensor[]>>()
    expectTypeOf<Tensor['datatype']>().toEqualTypeOf<Datatype>()
  })

  it('errors carry status and code', () => {
    expectTypeOf<ScorerError['status']>().toEqualTypeOf<number>()
    expectTypeOf<ScorerError['code']>().toEqualTypeOf<string>()
    expectTypeOf<ScorerTimeoutError>().toExtend<ScorerError>()
  })
})
