import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { PYTHON_ENV_TIMEOUT_MS, type PythonClient } from '../support/oip-client.js'
import { startGrpcInteropClient, type GrpcClientCall } from '../support/grpc-interop-client.js'
import { startMlserver, type OipServer } from '../support/oip-servers.js'
import { closedPort } from '../support/ports.js'
import { eventuallyNotReady, OipGrpcClient } from '../support/grpc-client.js'

// Every error the gateway answers on its gRPC listener reaches tritonclient.grpc
// as the client's own InferenceServerException, with the gRPC status code of
// gateway/grpc/status.ts and the catalogue's message: the same message the
// REST listener answers for the same request where both can be asked.

const LIMIT = 4096
const TIMEOUT_MS = 300
const HEALTH_OFF = { enabled: false }
let client: PythonClient<GrpcClientCall>
let mlserver: OipServer
let gw: GatewayProcess
let target: string

beforeAll(async () => {
  client = await startGrpcInteropClient()
  mlserver = await startMlserver([{ name: 'scale', factor: 1 }, { name: 'slow', factor: 1, delaySeconds: 2 }])
  const dead = `grpc://127.0.0.1:${await closedPort()}`
  const refused = `grpc://127.0.0.1:${await closedPort()}`
  // Replicas are shared by URL (with the settings of the model that named them first): the capped one gets a URL of its own.
  const capped = `${mlserver.grpcUrl!}/capped`
  const one = (replicas: string[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({ versions: { v1: { replicas } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: HEALTH_OFF, ...extra })
  gw = await startGatewayProcess({
    grpc: { enabled: true },
    models: {
      scale: one([mlserver.grpcUrl!, mlserver.url], { bodyLimitBytes: LIMIT }),
      slow: one([mlserver.grpcUrl!], { timeouts: { requestMs: TIMEOUT_MS } }),
      busy: { ...one([capped]), versions: { v1: { replicas: [capped], upstream: { model: 'slow' } } }, maxConnectionsPerReplica: 1, queueTimeoutMs: 0 },
      refused: one([refused]),
      restonly: one([mlserver.url]),
      dead: one([dead], { healthCheck: { enabled: true, intervalMs: 100, timeoutMs: 300, jitter: 0, unhealthyThreshold: 1, healthyThreshold: 1 } })
    }
  })
  target = `grpc://${gw.grpcTarget!}`
  await eventuallyNotReady(gw.grpcTarget!, 'dead')
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await client?.close()
  await gw?.stop()
  await mlserver?.stop()
})

const x = (shape: number[]): { name: string, datatype: 'FP32', shape: number[] } => ({ name: 'x', datatype: 'FP32', shape })
const inferOn = (model: string, extra: Partial<Extract<GrpcClientCall, { op: 'infer' }>> = {}): GrpcClientCall => ({ op: 'infer', model, inputs: [x([1, 4])], ...extra })

/** The REST listener's message for the same request. */
async function restMessage (path: string): Promise<string> {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }] }) })
  return (await res.json() as { error: string }).error
}

describe('gateway errors over gRPC, as tritonclient.grpc shows them', () => {
  it('unknown model: NOT_FOUND with the REST listener\'s message', async () => {
    const r = await client.call(target, inferOn('nope'))
    expect(r).toEqual({ ok: false, exception: 'InferenceServerException', status: 'StatusCode.NOT_FOUND', message: await restMessage('/v2/models/nope/infer') })
  })

  it('unknown version: NOT_FOUND with the REST listener\'s message', async () => {
    const r = await client.call(target, inferOn('scale', { version: 'v9' }))
    expect(r).toEqual({ ok: false, exception: 'InferenceServerException', status: 'StatusCode.NOT_FOUND', message: await restMessage('/v2/models/scale/versions/v9/infer') })
  })

  it('request over the model\'s size limit: RESOURCE_EXHAUSTED, GW_BODY_TOO_LARGE\'s message', async () => {
    const r = await client.call(target, inferOn('scale', { inputs: [x([1, 2048])] }))
    expect(r).toMatchObject({ ok: false, status: 'StatusCode.RESOURCE_EXHAUSTED', message: `request body is larger than the limit of ${LIMIT} bytes for model "scale"` })
  })

  it('no healthy replica: UNAVAILABLE with the REST listener\'s message', async () => {
    const r = await client.call(target, inferOn('dead'))
    expect(r).toMatchObject({ ok: false, status: 'StatusCode.UNAVAILABLE', message: 'version "v1" of model "dead" has no healthy replica' })
  })

  it('a version whose replicas all speak REST: UNAVAILABLE, saying it has none that serves gRPC', async () => {
    const r = await client.call(target, inferOn('restonly'))
    expect(r).toMatchObject({ ok: false, status: 'StatusCode.UNAVAILABLE' })
    expect((r as { message: string }).message).toMatch(/^version "v1" of model "restonly" has no healthy replica that serves gRPC/)
  })

  it('replica refusing connections: UNAVAILABLE, GW_UPSTREAM_UNAVAILABLE\'s message', async () => {
    const r = await client.call(target, inferOn('refused'))
    expect(r).toMatchObject({ ok: false, status: 'StatusCode.UNAVAILABLE', message: 'version "v1" of model "refused" refused or dropped the connection' })
  })

  it('model slower than the deadline: DEADLINE_EXCEEDED, GW_UPSTREAM_TIMEOUT\'s message', async () => {
    const r = await client.call(target, inferOn('slow'))
    expect(r).toMatchObject({ ok: false, status: 'StatusCode.DEADLINE_EXCEEDED', message: `version "v1" of model "slow" did not answer within ${TIMEOUT_MS} ms (the request's deadline, retries included)` })
  })

  it('replica at its connection cap: RESOURCE_EXHAUSTED, GW_REPLICA_BUSY\'s message, for all but the one call in flight', async () => {
    const r = await client.call<{ answered: number, errors: string[] }>(target, { op: 'concurrent', model: 'busy', n: 3, input: x([1, 4]) })
    if (!r.ok) throw new Error(r.message)
    const { answered, errors } = r
    expect(answered).toBeGreaterThanOrEqual(1)
    expect(errors.length).toBe(3 - answered)
    expect(errors.length).toBeGreaterThanOrEqual(1)
    for (const e of errors) expect(e).toBe('StatusCode.RESOURCE_EXHAUSTED: every replica of version "v1" of model "busy" is at its connection limit; no slot freed within 0 ms')
  })

  it('bytes that are not a ModelInferRequest: INVALID_ARGUMENT, GW_MALFORMED_PROTOBUF, code and request id in the trailers', async () => {
    const raw = new OipGrpcClient(gw.grpcTarget!)
    try {
      const a = await raw.raw('ModelInfer', Buffer.from([0x0a, 0x7f, 0x61]), { metadata: { 'x-request-id': 'req-malformed-1' } })
      expect(a).toMatchObject({ ok: false, code: 3, details: 'request is not a valid ModelInferRequest: field 1 at byte 0 runs past the end of the message (127 bytes declared, 1 left)' })
      expect(a.trailers).toMatchObject({ 'x-gateway-error-code': 'GW_MALFORMED_PROTOBUF', 'x-request-id': 'req-malformed-1' })
    } finally {
      raw.close()
    }
  })

  it('RepositoryModelLoad: UNIMPLEMENTED with the gateway\'s message', async () => {
    const raw = new OipGrpcClient(gw.grpcTarget!)
    try {
      const a = await raw.raw('RepositoryModelLoad', Buffer.alloc(0))
      expect(a).toMatchObject({ ok: false, code: 12, details: 'RepositoryModelLoad is not implemented by this gateway; models are registered through the admin API' })
    } finally {
      raw.close()
    }
  })
})
