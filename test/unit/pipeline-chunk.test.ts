import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { chunkByKey, MESSAGE_CHUNK_BYTES } from '../../gateway/observe/kafka-producer.js'

describe('chunkByKey', () => {
  it('keeps every row and the order of rows per key, and bounds message size', () => {
    const row = fc.record({ key: fc.constantFrom('fraud/v1', 'fraud/v2', 'other/'), len: fc.integer({ min: 1, max: 20_000 }) })
    fc.assert(fc.property(fc.array(row, { maxLength: 60 }), (rows) => {
      const messages = rows.map((r, i) => ({ key: r.key, value: JSON.stringify({ i, pad: 'x'.repeat(r.len) }) }))
      const out = chunkByKey(messages)
      const perKeyIn = new Map<string, number[]>()
      messages.forEach((m, i) => { perKeyIn.set(m.key, [...(perKeyIn.get(m.key) ?? []), i]) })
      const perKeyOut = new Map<string, number[]>()
      for (const m of out) {
        const lines = m.value.split('\n')
        // One row may exceed the bound alone; joined rows never do.
        if (lines.length > 1) expect(m.value.length).toBeLessThanOrEqual(MESSAGE_CHUNK_BYTES)
        for (const l of lines) perKeyOut.set(m.key, [...(perKeyOut.get(m.key) ?? []), (JSON.parse(l) as { i: number }).i])
      }
      expect(perKeyOut).toEqual(perKeyIn)
    }))
  })

  it('joins small rows of one key into one message', () => {
    const out = chunkByKey(Array.from({ length: 100 }, (_, i) => ({ key: 'fraud/v1', value: `{"i":${i}}` })))
    expect(out).toHaveLength(1)
    expect(out[0]!.value.split('\n')).toHaveLength(100)
  })
})
