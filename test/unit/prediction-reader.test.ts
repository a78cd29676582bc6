import { describe, expect, it } from 'vitest'
import { decimal, find, PredictionReader } from '../../gateway/observe/prediction.js'
import { seeded } from '../support/seeded-random.js'

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

describe('decimal (the number read without a string)', () => {
  const parse = (text: string): number => decimal(Buffer.from(`[${text}]`), 1, text.length + 1)

  it('gives the same double as Number() for 20,000 random predictions printed by JSON.stringify', () => {
    const random = seeded(16)
    for (let k = 0; k < 20_000; k++) {
      const x = k % 3 === 0 ? random() : k % 3 === 1 ? Math.round(random() * 1e6) / 1e6 : (random() - 0.5) * 1e4
      const text = JSON.stringify(x)
      expect(Object.is(parse(text), Number(text))).toBe(true)
    }
  })

  it.each(['0', '-0', '1', '0.5', '12.250', '0.1', '0.7502601055951177', '9007199254740991', '9007199254740993', '0.12345678901234567890123', '1e-7', '-2.5E3', '1.', '.', '-', '1.2.3', '+1'])('gives what Number() gives for %s', (text) => {
    expect(Object.is(parse(text), Number(text))).toBe(true)
  })
})

describe('find', () => {
  it('finds a word only when it lies whole before the end', () => {
    const body = Buffer.from('xx"name":"a"yy')
    const word = Buffer.from('"name":"a"')
    expect(find(body, word, body.length)).toBe(2)
    expect(find(body, word, 11)).toBe(-1)
    expect(find(body, Buffer.from('"name":"b"'), body.length)).toBe(-1)
  })
})
