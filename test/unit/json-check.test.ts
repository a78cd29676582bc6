import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { jsonSyntaxError } from '../../gateway/proxy/json-check.js'

// The byte walk must say "valid" exactly when JSON.parse of the decoded body would.
function parses (b: Buffer): boolean {
  try {
    JSON.parse(b.toString('utf8'))
    return true
  } catch {
    return false
  }
}

const check = (s: string | Buffer): boolean => jsonSyntaxError(typeof s === 'string' ? Buffer.from(s) : s) === -1

describe('jsonSyntaxError', () => {
  it.each([
    '{}', '[]', '0', '-0', '1.5e-3', '"x"', 'true', 'false', 'null', ' \n\t{ "a" : [1, 2.0, -3e+2, {"b": null}] } \r\n',
    '{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP64","data":[950.0,12,9,420.5]}]}',
    '"\\u00e9\\n\\"\\\\\\/"', '"é 漢字"'
  ])('accepts %s', (s) => {
    expect(check(s)).toBe(true)
  })

  it.each([
    '', ' ', '{', '}', '{bad', '{"a":}', '{"a" 1}', '{"a":1,}', '[1,]', '[1 2]', '01', '1.', '.5', '-', '1e', '+1', 'tru', 'nul', 'falsy',
    '"abc', '"\\x"', '"\\u12G4"', '"a\u0001b"', '{"a":1}}', '{} {}', 'NaN', '\ufeff{}', "{'a':1}"
  ])('rejects %j', (s) => {
    expect(check(s)).toBe(false)
  })

  it('reports the offset where the body stops being JSON', () => {
    expect(jsonSyntaxError(Buffer.from('{"a":1,}'))).toBe(7)
    expect(jsonSyntaxError(Buffer.from(''))).toBe(0)
  })

  it('hands deep nesting to JSON.parse instead of recursing', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000)
    expect(check(deep)).toBe(true)
    expect(check('['.repeat(5000) + ']'.repeat(4999))).toBe(false)
  })

  it('agrees with JSON.parse on generated JSON', () => {
    fc.assert(fc.property(fc.json(), (s) => check(s) === parses(Buffer.from(s))), { numRuns: 2000 })
  })

  it('agrees with JSON.parse on mutated JSON', () => {
    const mutated = fc.tuple(fc.json(), fc.nat(), fc.constantFrom('', '{', '}', '[', ']', ',', ':', '"', '\\', '0', '-', '.', 'e', ' ', 'x', '\u0000'))
      .map(([s, i, ins]) => { const k = s.length === 0 ? 0 : i % (s.length + 1); return s.slice(0, k) + ins + s.slice(k + (i % 2)) })
    fc.assert(fc.property(mutated, (s) => check(s) === parses(Buffer.from(s))), { numRuns: 5000 })
  })

  it('agrees with JSON.parse on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (a) => check(Buffer.from(a)) === parses(Buffer.from(a))), { numRuns: 5000 })
  })
})
