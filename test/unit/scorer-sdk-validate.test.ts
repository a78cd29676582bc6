import { describe, expect, it } from 'vitest'
import { InvalidInputError, parseInferenceRequest } from '../../scorer-sdk/validate.js'
import type { InputSpec } from '../../scorer-sdk/types.js'

const specs: InputSpec[] = [{ name: 'features', datatype: 'FP64', shape: [-1, 4], alsoAccept: ['FP32'] }]
const tensor = (over: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ name: 'features', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4], ...over })

describe('parseInferenceRequest', () => {
  const rejected: Array<[string, unknown, RegExp]> = [
    ['a non-object body', [1, 2], /must be a JSON object/],
    ['a body without inputs', { id: 'x' }, /missing 'inputs'/],
    ['empty inputs', { inputs: [] }, /non-empty array/],
    ['a non-string id', { id: 7, inputs: [tensor()] }, /'id' must be a string/],
    ['an unknown datatype', { inputs: [tensor({ datatype: 'FLOAT' })] }, /unknown datatype "FLOAT"/],
    ['a datatype the model does not take', { inputs: [tensor({ datatype: 'INT32' })] }, /datatype INT32 does not match the model's FP64 or FP32/],
    ['a wrong inner dimension', { inputs: [tensor({ shape: [1, 3], data: [1, 2, 3] })] }, /shape \[1, 3\] does not match the model's \[-1, 4\]/],
    ['a wrong rank', { inputs: [tensor({ shape: [4] })] }, /does not match the model's/],
    ['a negative dimension', { inputs: [tensor({ shape: [-1, 4] })] }, /non-negative integers/],
    ['data shorter than the shape', { inputs: [tensor({ data: [1, 2, 3] })] }, /needs 4 elements, data has 3/],
    ['data longer than the shape', { inputs: [tensor({ data: [1, 2, 3, 4, 5] })] }, /needs 4 elements, data has 5/],
    ['a string in FP32 data', { inputs: [tensor({ data: [1, '2', 3, 4] })] }, /element 1 \("2"\) is not a valid FP32/],
    ['an undeclared input', { inputs: [tensor(), tensor({ name: 'extra' })] }, /unexpected input 'extra'/],
    ['outputs that are not an array', { inputs: [tensor()], outputs: {} }, /'outputs' must be an array/]
  ]

  it.each(rejected)('rejects %s', (_label, body, message) => {
    expect(() => parseInferenceRequest(body, specs)).toThrow(InvalidInputError)
    expect(() => parseInferenceRequest(body, specs)).toThrow(message)
  })

  it('rejects a request that leaves out a declared input', () => {
    const two: InputSpec[] = [...specs, { name: 'country', datatype: 'BYTES', shape: [-1] }]
    expect(() => parseInferenceRequest({ inputs: [tensor()] }, two)).toThrow(/missing input 'country'/)
  })

  it('flattens nested data in row-major order', () => {
    const parsed = parseInferenceRequest({ inputs: [tensor({ shape: [2, 4], data: [[1, 2, 3, 4], [5, 6, 7, 8]] })] }, specs)
    expect(parsed.inputs[0]!.data).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('keeps id, parameters and requested output names', () => {
    const parsed = parseInferenceRequest({ id: 'r1', parameters: { a: 1 }, inputs: [tensor()], outputs: [{ name: 'p' }] }, specs)
    expect(parsed).toMatchObject({ id: 'r1', parameters: { a: 1 }, outputNames: ['p'] })
  })

  it('checks integer ranges and element types without declared inputs', () => {
    expect(() => parseInferenceRequest({ inputs: [{ name: 'x', shape: [2], datatype: 'UINT8', data: [1, 256] }] })).toThrow(/not a valid UINT8/)
    expect(() => parseInferenceRequest({ inputs: [{ name: 'x', shape: [1], datatype: 'INT32', data: [1.5] }] })).toThrow(/not a valid INT32/)
    expect(() => parseInferenceRequest({ inputs: [{ name: 'x', shape: [1], datatype: 'BOOL', data: [1] }] })).toThrow(/not a valid BOOL/)
    expect(parseInferenceRequest({ inputs: [{ name: 'x', shape: [2], datatype: 'BYTES', data: ['a', 'b'] }] }).inputs[0]!.data).toEqual(['a', 'b'])
  })
})
