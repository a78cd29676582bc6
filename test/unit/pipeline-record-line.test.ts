import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { recordLine, type ScoringRecord } from '../../gateway/observe/records.js'

const text = fc.string({ unit: 'binary', maxLength: 60 })
const n = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))

const record: fc.Arbitrary<ScoringRecord> = fc.record({
  time: n, millis: n, request_id: text, model: text, version: text, replica: text, instance_id: text, release: text,
  status: n, error_code: text, total_ms: n, upstream_ms: n, sticky_hash: n, has_sticky_key: n, sample_rate: n, fallback: n,
  request_body: text, response_body: text, traffic: text, request_encoding: text,
  request_binary_bytes: n, response_binary_bytes: n, request_truncated: n, response_truncated: n
})

describe('recordLine', () => {
  it('is exactly JSON.stringify of the record, for any field values', () => {
    fc.assert(fc.property(record, (r) => {
      expect(recordLine(r)).toBe(JSON.stringify(r))
    }), { numRuns: 3000 })
  })
})
