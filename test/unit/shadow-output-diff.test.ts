import { describe, expect, it } from 'vitest'
import { diffOutputs, parseOutputs } from '../../gateway/proxy/output-diff.js'

// A shadow pair's two answers, parsed and compared: nested data is compared
// element by element in row-major order, shapes entry by entry.
const answer = (data: unknown[], shape: unknown[]): Buffer => Buffer.from(JSON.stringify({ outputs: [{ name: 'p', datatype: 'FP64', shape, data }] }))
const diff = (a: Buffer, b: Buffer): ReturnType<typeof diffOutputs> => diffOutputs(parseOutputs(a)!, parseOutputs(b)!)

describe('shadow output comparison', () => {
  it('nested data equals the same numbers sent flat', () => {
    expect(diff(answer([[0.1, 0.2], [0.3, 0.4]], [2, 2]), answer([0.1, 0.2, 0.3, 0.4], [2, 2]))).toEqual({ comparable: true, exact: true, maxAbsDiff: 0 })
  })

  it('nested data yields the largest difference of any element', () => {
    expect(diff(answer([[1], [2]], [2, 1]), answer([[1], [2.5]], [2, 1])).maxAbsDiff).toBe(0.5)
  })

  it('a parsed flat array of data is kept as it came, and a nested one is flattened', () => {
    expect(parseOutputs(answer([1, 2, 3], [3]))!.get('p')!.data).toEqual([1, 2, 3])
    expect(parseOutputs(answer([[1, [2]], [3]], [3]))!.get('p')!.data).toEqual([1, 2, 3])
  })

  it('a shape entry written as a numeric string equals the number', () => {
    expect(parseOutputs(answer([1, 2], ['2']))!.get('p')!.shape).toEqual([2])
    expect(diff(answer([1, 2], ['2']), answer([1, 2], [2])).comparable).toBe(true)
  })

  it('the same number of elements in another shape is not comparable', () => {
    expect(diff(answer([1, 2, 3, 4], [2, 2]), answer([1, 2, 3, 4], [4])).comparable).toBe(false)
    expect(diff(answer([1, 2, 3, 4], [2, 2]), answer([1, 2, 3, 4], [1, 4])).comparable).toBe(false)
  })

  it('shape entries that are not numbers match each other', () => {
    expect(diff(answer([1], ['x']), answer([1], ['y'])).comparable).toBe(true)
    expect(diff(answer([1], ['x']), answer([1], [1])).comparable).toBe(false)
  })

  it('a missing shape is an empty one', () => {
    expect(parseOutputs(Buffer.from('{"outputs":[{"name":"p","datatype":"FP64","data":[1]}]}'))!.get('p')!.shape).toEqual([])
  })
})
