import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectOk, PYTHON_ENV_TIMEOUT_MS, type PythonClient } from '../support/oip-client.js'
import { startGrpcInteropClient, type GrpcClientCall, type GrpcInferOk } from '../support/grpc-interop-client.js'
import { startMlserver, type OipServer } from '../support/oip-servers.js'

// One MLServer hosts two versions of one model under one name ("scale" 1 and
// 2). Over gRPC the gateway maps its versions onto them by rewriting the
// message's model_name and model_version on the way out, and names its own
// model and version in the answer; tritonclient.grpc picks versions explicitly
// with model_version.

let client: PythonClient<GrpcClientCall>
let mlserver: OipServer
let gw: GatewayProcess
let target: string

beforeAll(async () => {
  client = await startGrpcInteropClient()
  mlserver = await startMlserver([{ name: 'scale', version: '1', factor: 10 }, { name: 'scale', version: '2', factor: 20 }])
  const replicas = [mlserver.grpcUrl!]
  gw = await startGatewayProcess({
    grpc: { enabled: true },
    models: {
      scale: {
        versions: { v1: { replicas, upstream: { version: '1' } }, v2: { replicas, upstream: { model: 'scale', version: '2' } } },
        release: { strategy: 'blue-green', active: 'v1', preview: 'v2' },
        healthCheck: { enabled: false }
      },
      scorer: { versions: { green: { replicas, upstream: { model: 'scale', version: '2' } } }, release: { strategy: 'canary', stable: 'green' }, healthCheck: { enabled: false } }
    }
  })
  target = `grpc://${gw.grpcTarget!}`
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await client?.close()
  await gw?.stop()
  await mlserver?.stop()
})

const x = { name: 'x', datatype: 'FP32', shape: [3, 4] } as const
const infer = async (model: string, version: string | undefined, factor: number): Promise<GrpcInferOk> =>
  expectOk(await client.call<GrpcInferOk>(target, { op: 'infer', model, ...(version === undefined ? {} : { version }), inputs: [x], expect: { input: 'x', output: 'y', factor } }))

describe('gRPC: two versions of one model under one name upstream', () => {
  it('explicit version v1 is computed by upstream version 1 (y = 10x), v2 by version 2 (y = 20x), each answer naming the gateway\'s version', async () => {
    const v1 = await infer('scale', 'v1', 10)
    const v2 = await infer('scale', 'v2', 20)
    expect(v1).toMatchObject({ max_abs_error: 0, model_name: 'scale', model_version: 'v1' })
    expect(v2).toMatchObject({ max_abs_error: 0, model_name: 'scale', model_version: 'v2' })
  })

  it('without a version the active version v1 answers', async () => {
    expect(await infer('scale', undefined, 10)).toMatchObject({ max_abs_error: 0, model_version: 'v1' })
  })

  it('a gateway model under another name reaches upstream scale version 2 and is named "scorer" in the answer', async () => {
    expect(await infer('scorer', undefined, 20)).toMatchObject({ max_abs_error: 0, model_name: 'scorer', model_version: 'green' })
  })
})
