import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../support/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'

// A body over the model's bodyLimitBytes gets 413 GW_BODY_TOO_LARGE naming the
// model and the limit, both when it is over the model's own limit and when it is
// over the largest limit the listener accepts at all.

const SMALL_LIMIT = 300

let model: ModelProcess
let gw: GatewayProcess

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
  gw = await startGatewayProcess({
    gateway: { bodyLimitBytes: 4096 },
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
  const data: number[][] = []
  for (let i = 0; i < rows; i++) data.push([620, 200, 7, 265])
  return JSON.stringify({ inputs: [{ name: 'features', shape: [rows, 4], datatype: 'FP64', data }] })
}

async function post (body: string) {
  const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'big-1' }, body })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

describe('body over the limit', () => {
  it('is accepted just under the model limit', async () => {
    const body = bodyOfRows(1)
    expect(body.length).toBeLessThan(SMALL_LIMIT)
    const res = await post(body)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v1')
  })

  it('over the model limit (under the gateway one): 413 GW_BODY_TOO_LARGE naming the model and its limit', async () => {
    const body = bodyOfRows(20)
    expect(body.length).toBeGreaterThan(SMALL_LIMIT)
    expect(body.length).toBeLessThan(4096)
    const res = await post(body)
    expect(res.status).toBe(413)
    const err = JSON.parse(res.text) as { error: { code: string, message: string } }
    expect(err.error.code).toBe('GW_BODY_TOO_LARGE')
    expect(err.error.message).toContain(`${SMALL_LIMIT} bytes`)
    expect(err.error.message).toContain('"fraud"')
    expect(res.headers.get('x-request-id')).toBe('big-1')
  })

  it('over every limit the listener accepts: the same error, still naming the model', async () => {
    const res = await post(bodyOfRows(400))
    expect(res.status).toBe(413)
    expect(res.headers.get('x-request-id')).toBe('big-1')
    const err = JSON.parse(res.text) as { error: { code: string, message: string } }
    expect(err.error.code).toBe('GW_BODY_TOO_LARGE')
    expect(err.error.message).toContain(`${SMALL_LIMIT} bytes`)
    expect(err.error.message).toContain('"fraud"')
  })

  it('leaves the gateway alive', () => {
    expect(gw.alive()).toBe(true)
  })
})
