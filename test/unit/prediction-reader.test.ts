import { describe, expect, it } from 'vitest'
import { PredictionReader } from '../../gateway/observe/prediction.js'

const reader = new PredictionReader('fraud_probability')
const read = (body: string, jsonLength = -1): number => reader.read(Buffer.from(body), jsonLength)

describe('PredictionReader', () => {
  it.each([
    ['compact, as scorer-sdk writes it', '{"model_name":"fraud","outputs":[{"name":"fraud_probability","shape":[1],"datatype":"FP64","data":[0.7502601055951177]}]}', 0.7502601055951177],
    ['an exponent', '{"outputs":[{"name":"fraud_probability","data":[1.5e-7]}]}', 1.5e-7],
    ['the second of two outputs', '{"outputs":[{"name":"other","data":[9]},{"name":"fraud_probability","data":[0.3,0.4]}]}', 0.3],
    ['nested rows', '{"outputs":[{"name":"fraud_probability","shape":[2,1],"data":[[0.11],[0.22]]}]}', 0.11],
    ['spaces after colons (parsed)', '{ "outputs": [ { "name": "fraud_probability", "data": [ 0.42 ] } ] }', 0.42],
    ['data before name (parsed)', '{"outputs":[{"data":[0.61],"name":"fraud_probability"},{"name":"x","data":[5]}]}', 0.61],
    ['parameters between name and data (parsed)', '{"outputs":[{"name":"fraud_probability","parameters":{"a":1},"data":[0.12]}]}', 0.12]
  ])('reads %s', (_what, body, want) => {
    expect(read(body)).toBe(want)
  })

  it.each([
    ['no such output', '{"outputs":[{"name":"other","data":[0.5]}]}'],
    ['not JSON', 'model error'],
    ['a string datum', '{"outputs":[{"name":"fraud_probability","data":["high"]}]}'],
    ['an empty body', '']
  ])('gives NaN for %s', (_what, body) => {
    expect(read(body)).toBeNaN()
  })

  it('with the binary extension reads only the JSON part', () => {
    const json = '{"outputs":[{"name":"fraud_probability","datatype":"FP64","shape":[1],"parameters":{"binary_data_size":8}}]}'
    const body = Buffer.concat([Buffer.from(json), Buffer.from('"data":[0.9]')])
    expect(reader.read(body, json.length)).toBeNaN()
  })
})
