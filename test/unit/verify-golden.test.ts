import { describe, expect, it } from 'vitest'
import { goldenCases, parseGoldenText } from '../../gateway/verify/golden.js'

describe('golden sets', () => {
  it('takes expected and tolerance off the request it sends, and skips comments and blank lines', () => {
    const lines = parseGoldenText('# comment\n\n{"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}],"expected":{"p":[0.5]},"tolerance":0.01}\n', 'g.ndjson')
    const [c] = goldenCases(lines, 'g.ndjson')
    expect(JSON.parse(c!.body.toString())).toEqual({ inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [1] }] })
    expect(c!.expected).toEqual({ p: [0.5] })
    expect(c!.tolerance).toBe(0.01)
  })

  it.each([
    ['{"inputs":[1]', 'g.ndjson line 1: not JSON'],
    ['{"outputs":[]}', 'g.ndjson line 1: "inputs" must be a non-empty array of tensors'],
    ['{"inputs":[{}],"expected":{"p":["a"]}}', 'g.ndjson line 1: expected.p: must be an array of finite numbers'],
    ['{"inputs":[{}],"tolerance":-1}', 'g.ndjson line 1: tolerance: must be a number >= 0'],
    ['# only a comment', 'g.ndjson: holds no requests']
  ])('%s is refused: %s', (text, message) => {
    expect(() => goldenCases(parseGoldenText(text, 'g.ndjson'), 'g.ndjson')).toThrow(message)
  })
})
