import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BoundedBuffer } from '../../gateway/observe/buffer.js'

describe('BoundedBuffer', () => {
  it('never holds more than its bounds, counts every refused push, and keeps FIFO order', () => {
    const op = fc.oneof(
      fc.record({ push: fc.string({ maxLength: 40 }) }),
      fc.record({ release: fc.integer({ min: 0, max: 5 }) })
    )
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 10, max: 200 }), fc.array(op, { maxLength: 200 }), (maxRecords, maxBytes, ops) => {
      const b = new BoundedBuffer(maxRecords, maxBytes)
      const model: string[] = []
      let refused = 0
      for (const o of ops) {
        if ('push' in o) {
          const ok = b.push('k', o.push)
          const bytes = model.reduce((a, v) => a + 1 + v.length, 0)
          const fits = model.length < maxRecords && bytes + 1 + o.push.length <= maxBytes
          expect(ok).toBe(fits)
          if (ok) model.push(o.push)
          else refused++
        } else {
          b.release(o.release)
          model.splice(0, o.release)
        }
        expect(b.size).toBe(model.length)
        expect(b.size).toBeLessThanOrEqual(maxRecords)
        expect(b.bytes).toBeLessThanOrEqual(maxBytes)
        expect(b.peek(100).map(m => m.value)).toEqual(model)
      }
      expect(b.takeDropped()).toBe(refused)
      expect(b.takeDropped()).toBe(0)
    }))
  })

  it('peek limits a batch by count and bytes but always returns at least one message', () => {
    const b = new BoundedBuffer(10, 10_000)
    for (let i = 0; i < 5; i++) b.push('k', 'x'.repeat(100))
    expect(b.peek(3)).toHaveLength(3)
    expect(b.peek(10, 250)).toHaveLength(2)
    expect(b.peek(10, 1)).toHaveLength(1)
  })

  it('rejects bounds that make no sense', () => {
    expect(() => new BoundedBuffer(0, 100)).toThrow(/maxRecords must be an integer >= 1/)
    expect(() => new BoundedBuffer(10, 0)).toThrow(/maxBytes must be >= 1/)
  })
})
