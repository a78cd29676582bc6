import { describe, expect, it } from 'vitest'
import { diffExpected, diffOutputs, parseOutputs, tensorProblems } from '../../gateway/proxy/output-diff.js'

const answer = (data: unknown[], name = 'p', shape = [data.length]): Buffer => Buffer.from(JSON.stringify({ model_name: 'm', outputs: [{ name, datatype: 'FP64', shape, data }] }))

describe('output differences', () => {
  it.each([
    ['equal answers', [0.1, 0.2], [0.1, 0.2], { comparable: true, exact: true, maxAbsDiff: 0 }],
    ['the largest absolute difference', [0.1, 0.2], [0.15, 0.1], { comparable: true, exact: false, maxAbsDiff: 0.1 }],
    ['another length', [0.1], [0.1, 0.2], { comparable: false, exact: false, maxAbsDiff: -1 }],
    ['a string against a number', [0.1], ['0.1'], { comparable: false, exact: false, maxAbsDiff: -1 }]
  ])('%s', (_name, a, b, want) => {
    const d = diffOutputs(parseOutputs(answer(a))!, parseOutputs(answer(b))!)
    expect(d.comparable).toBe(want.comparable)
    expect(d.exact).toBe(want.exact)
    expect(d.maxAbsDiff).toBeCloseTo(want.maxAbsDiff, 12)
  })

  it('another output name is not comparable', () => {
    expect(diffOutputs(parseOutputs(answer([1]))!, parseOutputs(answer([1], 'q'))!).comparable).toBe(false)
  })

  it('a body that is not an OIP answer parses to null', () => {
    expect(parseOutputs(Buffer.from('{"error":"x"}'))).toBeNull()
    expect(parseOutputs(Buffer.from('not json'))).toBeNull()
    expect(parseOutputs(null)).toBeNull()
  })

  it('expected numbers are compared by output name', () => {
    expect(diffExpected({ p: [0.5] }, parseOutputs(answer([0.5004]))!).maxAbsDiff).toBeCloseTo(0.0004, 12)
    expect(diffExpected({ q: [0.5] }, parseOutputs(answer([0.5]))!).comparable).toBe(false)
  })
})

describe('metadata compatibility', () => {
  const stable = [{ name: 'features', datatype: 'FP64', shape: [-1, 4] }]
  it('-1 matches any size, a fixed size must match', () => {
    expect(tensorProblems('input', stable, [{ name: 'features', datatype: 'FP64', shape: [1, 4] }])).toEqual([])
    expect(tensorProblems('input', stable, [{ name: 'features', datatype: 'FP64', shape: [-1, 5] }])).toEqual(['input "features" has shape [-1, 5], stable has [-1, 4]'])
  })
  it('names a missing tensor, another datatype and an extra input', () => {
    expect(tensorProblems('output', stable, [{ name: 'score', datatype: 'FP64', shape: [-1, 4] }])).toEqual(['output "features" is missing (has: score)'])
    expect(tensorProblems('input', stable, [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }, { name: 'extra', datatype: 'FP64', shape: [1] }]))
      .toEqual(['input "features" has datatype FP32, stable has FP64', 'input "extra" is not an input of the stable version'])
  })
  it('extra outputs are fine', () => {
    expect(tensorProblems('output', stable, [...stable, { name: 'more', datatype: 'FP64', shape: [1] }])).toEqual([])
  })
})
