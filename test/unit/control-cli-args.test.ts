import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { formatPercent, parseWeights, percentToBp, table, UsageError } from '../../gateway/cli/admin-command.js'

describe('CLI: percent and weight arguments', () => {
  it.each([
    ['90', 9000], ['10', 1000], ['12.5', 1250], ['0.01', 1], ['100', 10000], ['0', 0], ['33.33', 3333]
  ])('%s%% is %i basis points', (s, bp) => {
    expect(percentToBp(s)).toBe(bp)
  })

  it.each(['-1', '100.01', '101', '1.234', 'ten', '', '1e2', '0x10'])('rejects "%s"', (s) => {
    expect(() => percentToBp(s)).toThrow(UsageError)
  })

  it('every two-decimal percentage round-trips to exact basis points (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10000 }), (bp) => {
      const s = (bp / 100).toFixed(2)
      expect(percentToBp(s)).toBe(bp)
      expect(formatPercent(bp)).toBe(`${Number(s)}%`)
    }))
  })

  it('parses version=percent pairs and insists on 100%', () => {
    expect(parseWeights(['v1=90', 'v2=10'], false)).toEqual({ v1: 9000, v2: 1000 })
    expect(parseWeights(['v1=8750', 'v2=1250'], true)).toEqual({ v1: 8750, v2: 1250 })
    expect(() => parseWeights(['v1=90', 'v2=5'], false)).toThrow(/add up to 95%/)
    expect(() => parseWeights(['v1=90', 'v1=10'], false)).toThrow(/given twice/)
    expect(() => parseWeights(['v1:90'], false)).toThrow(/<version>=<percent>/)
    expect(() => parseWeights(['v1=10001'], true)).toThrow(UsageError)
  })

  it('lays out tables in aligned columns', () => {
    expect(table(['A', 'BB'], [['xyz', '1'], ['q', '22']])).toEqual(['A    BB', 'xyz  1', 'q    22'])
  })
})
