import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ScorerClient, ScorerError } from '../../scorer-sdk/index.js'
import { startModel } from '../../scripts/processes/model-process.js'
import type { ModelProcess } from '../../scripts/processes/model-process.js'

// A bad request reaches the real model process and comes back as an OIP 400.
let model: ModelProcess
let client: ScorerClient

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
  client = new ScorerClient({ baseUrl: model.url, model: 'fraud', retries: 2 })
})
afterAll(async () => {
  await client?.close()
  await model?.stop()
})

describe('bad input to the fraud model', () => {
  it('rejects a wrong feature count with ScorerError 400 and the OIP message', async () => {
    const err = await client.infer([{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }], { requestId: 'bad-1' })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ScorerError)
    expect(err).toMatchObject({
      status: 400,
      code: 'OIP_ERROR',
      requestId: 'bad-1',
      message: "input 'features': shape [1, 3] does not match the model's [-1, 4]",
      body: { error: "input 'features': shape [1, 3] does not match the model's [-1, 4]" }
    })
  })

  it('answers a raw request without inputs with {"error": ...}', async () => {
    const res = await fetch(`${model.url}/v2/models/fraud/infer`, { method: 'POST', body: '{"id":"x"}' })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ error: "missing 'inputs'" })
  })

  it('rejects an unknown model with 404', async () => {
    const other = new ScorerClient({ baseUrl: model.url, model: 'churn' })
    try {
      await expect(other.infer([{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }]))
        .rejects.toMatchObject({ status: 404, code: 'OIP_ERROR', message: "model 'churn' not found" })
    } finally {
      await other.close()
    }
  })
})
