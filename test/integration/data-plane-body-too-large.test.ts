import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectGatewayError, fraudRequest } from '../support/oip.js'

// A body over the model's bodyLimitBytes gets 413 GW_BODY_TOO_LARGE naming the
// model and the limit, both when it is over the model's own limit and when it is
// over the largest limit the listener accepts at all.

const SMALL_LIMIT = 300
const GATEWAY_LIMIT = 4096

let model: ModelProcess
let gw: GatewayProcess

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
  gw = await startGatewayProcess({
    gateway: { bodyLimitBytes: GATEWAY_LIMIT },
    models: {
      fraud: {
        versions: { v1: { replicas: [model.url] } },
        release: { strategy: 'canary', stable: 'v1' },
        bodyLimitBytes: SMALL_LIMIT,
        healthCheck: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
})

function bodyOfRows (rows: number): string {
  const one = fraudRequest()
  const data: number[] = []
  for (let i = 0; i < rows; i++) data.push(...one.inputs[0]!.data)
  return JSON.stringify({ inputs: [{ ...one.inputs[0]!, shape: [rows, 4], data }] })
}

function post (body: string): Promise<Response> {
  return fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'big-1' }, body })
}

describe('body over the limit', () => {
  it('a body under the model limit is answered 200 by v1', async () => {
    const body = bodyOfRows(1)
    expect(body.length).toBeLessThan(SMALL_LIMIT)
    const res = await post(body)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v1')
    await res.arrayBuffer()
  })

  it('over the model limit (under the gateway one): 413 GW_BODY_TOO_LARGE naming the model and its limit', async () => {
    const body = bodyOfRows(20)
    expect(body.length).toBeGreaterThan(SMALL_LIMIT)
    expect(body.length).toBeLessThan(GATEWAY_LIMIT)
    const res = await post(body)
    const err = await expectGatewayError(res, 413, 'GW_BODY_TOO_LARGE')
    expect(err.error).toContain(`${SMALL_LIMIT} bytes`)
    expect(err.error).toContain('"fraud"')
    expect(res.headers.get('x-request-id')).toBe('big-1')
  })

  it('over every limit the listener accepts: 413 GW_BODY_TOO_LARGE naming the model and its limit, and the gateway stays up', async () => {
    const body = bodyOfRows(400)
    expect(body.length).toBeGreaterThan(GATEWAY_LIMIT)
    const res = await post(body)
    const err = await expectGatewayError(res, 413, 'GW_BODY_TOO_LARGE')
    expect(res.headers.get('x-request-id')).toBe('big-1')
    expect(err.error).toContain(`${SMALL_LIMIT} bytes`)
    expect(err.error).toContain('"fraud"')
    expect(gw.alive()).toBe(true)
  })
})
