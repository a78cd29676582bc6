import { describe, expect, it } from 'vitest'
import { parseCsvLine } from '../../gateway/batch/csv.js'
import { buildMappings, csvHeader, inputValues, parseMapArgs, parseRecord, RowError } from '../../gateway/batch/rows.js'

// From a line to an input tensor's numbers: CSV fields, column mapping, and the
// reason a row is rejected.

const FEATURES = buildMappings([{ name: 'features', datatype: 'FP64', shape: [-1, 4] }], parseMapArgs(['features=a,b,c,d']))[0]!

function reason (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (err instanceof RowError) return err.message
    throw err
  }
  return 'no error'
}

describe('CSV lines', () => {
  it('parses quoted fields with commas and doubled quotes, empty fields and a CR before the newline', () => {
    expect(parseCsvLine('1,"a,b","say ""hi""",,x\r')).toEqual(['1', 'a,b', 'say "hi"', '', 'x'])
  })
})

describe('row values', () => {
  const header = csvHeader('id,a,b,c,d')
  const csv = (line: string): number[] => inputValues(FEATURES, parseRecord('csv', line, header))

  it('reads the mapped columns in mapping order, numbers in any decimal or exponent form', () => {
    expect(csv('7,1.5,-2,3e2,.25')).toEqual([1.5, -2, 300, 0.25])
    expect(inputValues(FEATURES, parseRecord('ndjson', '{"d":4,"c":3,"b":2,"a":1}', undefined))).toEqual([1, 2, 3, 4])
  })

  it('names the column and the value of a bad number, an infinite one and a missing one', () => {
    expect(reason(() => csv('7,1,2,abc,4'))).toBe('column "c": "abc" is not a number')
    expect(reason(() => csv('7,1,2,1e999,4'))).toBe('column "c": 1e999 is not a finite number')
    expect(reason(() => csv('7,1,,3,4'))).toBe('missing column "b"')
    expect(reason(() => inputValues(FEATURES, parseRecord('ndjson', '{"a":1,"b":true,"c":3,"d":4}', undefined)))).toBe('column "b": true is not a number')
  })

  it('counts values against the input\'s per-row shape', () => {
    const one = buildMappings([{ name: 'features', datatype: 'FP64', shape: [-1, 4] }], new Map())[0]!
    expect(inputValues(one, parseRecord('ndjson', '{"features":[1,2,3,4]}', undefined))).toEqual([1, 2, 3, 4])
    expect(reason(() => inputValues(one, parseRecord('ndjson', '{"features":[1,2,3]}', undefined)))).toBe('input "features" needs 4 values per row, got 3 (from features)')
  })

  it('refuses a mapping to an input the model does not have, and a variable per-row dimension', () => {
    expect(() => buildMappings([{ name: 'features', datatype: 'FP64', shape: [-1, 4] }], parseMapArgs(['feature=a']))).toThrow('--map names input "feature", which the model does not have (inputs: features)')
    expect(() => buildMappings([{ name: 'seq', datatype: 'FP32', shape: [-1, -1] }], new Map())).toThrow('input "seq" has shape [-1,-1]: only the first (batch) dimension may be variable')
  })
})
