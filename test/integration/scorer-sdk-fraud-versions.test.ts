import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ScorerClient } from '../../scorer-sdk/index.js'
import type { RequestTensor } from '../../scorer-sdk/index.js'
import { startModel } from '../../scripts/processes/model-process.js'
import type { ModelProcess } from '../../scripts/processes/model-process.js'

// Two real model processes, v1 and v2, scored through the client.
const models: ModelProcess[] = []
const clients: ScorerClient[] = []
let v1: ScorerClient
let v2: ScorerClient

beforeAll(async () => {
  const started = await Promise.all([startModel({ version: 'v1' }), startModel({ version: 'v2' })])
  models.push(...started)
  v1 = new ScorerClient({ baseUrl: started[0]!.url, model: 'fraud' })
  v2 = new ScorerClient({ baseUrl: started[1]!.url, model: 'fraud' })
  clients.push(v1, v2)
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await Promise.all(models.map((m) => m.stop()))
})

const batch: RequestTensor[] = [{
  name: 'features',
  shape: [2, 4],
  datatype: 'FP32',
  data: [[620, 200, 7, 265], [120, 900, 3, 25]]
}]

describe('fraud model v1 and v2', () => {
  it('scores a batch with the v1 weights', async () => {
    const result = await v1.infer(batch, { requestId: 'req-v1' })
    expect(result.status).toBe(200)
    expect(result.version).toBe('v1')
    expect(result.requestId).toBe('req-v1')
    expect(result.outputs).toHaveLength(1)
    expect(result.outputs[0]).toMatchObject({ name: 'fraud_probability', shape: [2], datatype: 'FP64' })
    const [risky, typical] = result.outputs[0]!.data as number[]
    expect(risky).toBeCloseTo(0.7502601055951177, 12)
    expect(typical).toBeCloseTo(0.04742587317756678, 12)
  })

  it('gives different probabilities from the retrained v2', async () => {
    const [a, b] = await Promise.all([v1.infer(batch), v2.infer(batch)])
    expect(b.version).toBe('v2')
    const p1 = a.outputs[0]!.data as number[]
    const p2 = b.outputs[0]!.data as number[]
    expect(p2[0]).toBeCloseTo(1 / (1 + Math.exp(-0.0775)), 12)
    expect(p2[0]).not.toBeCloseTo(p1[0]!, 3)
    expect(p2[1]).not.toBeCloseTo(p1[1]!, 3)
  })

  it('answers on the explicit version path', async () => {
    const result = await v2.infer(batch, { version: 'v2' })
    expect(result.version).toBe('v2')
  })
})
