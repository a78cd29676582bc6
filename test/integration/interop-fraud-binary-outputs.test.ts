import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { INPUT_NAME, OUTPUT_NAME } from '../../scorer-sdk/examples/fraud/model.js'
import { useOneModelGateway } from '../support/one-model-gateway.js'
import { expectOk, PYTHON_ENV_TIMEOUT_MS, startOipClient, type InferOk, type OipClient } from '../support/oip-client.js'

// tritonclient against the project's own scorer-sdk model (the fraud example)
// behind the gateway, asking for its output as a binary tensor: the client
// reads the answer, whichever form the model chose, as the same probabilities
// a plain JSON request gets.

const ROWS = [[620, 200, 7, 265], [900, 15, 2, 30]]
const setup = useOneModelGateway()
let client: OipClient

beforeAll(async () => {
  client = await startOipClient()
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await client?.close()
})

describe('tritonclient -> gateway -> scorer-sdk fraud model', () => {
  it('with binary outputs requested, the client reads the probabilities a JSON request gets', async () => {
    const res = await fetch(`${setup.gw.url}/v2/models/fraud/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: INPUT_NAME, datatype: 'FP64', shape: [2, 4], data: ROWS.flat() }] })
    })
    expect(res.status).toBe(200)
    const plain = await res.json() as { outputs: { name: string, data: number[] }[] }
    const want = plain.outputs.find(o => o.name === OUTPUT_NAME)!.data
    expect(want).toHaveLength(2)

    const r = expectOk(await client.call<InferOk>(setup.gw.url, {
      op: 'infer',
      model: 'fraud',
      inputs: [{ name: INPUT_NAME, datatype: 'FP64', shape: [2, 4], fill: 'values', values: ROWS.flat() }],
      outputs: [{ name: OUTPUT_NAME, binary: true }]
    }))
    const got = r.outputs[OUTPUT_NAME]!
    expect(got.shape).toEqual([2])
    expect(got.datatype).toBe('FP64')
    expect(got.head).toEqual(want)
    for (const p of got.head) expect(p).toBeGreaterThanOrEqual(0)
    for (const p of got.head) expect(p).toBeLessThanOrEqual(1)
  })
})
