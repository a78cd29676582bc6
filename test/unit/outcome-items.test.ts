import { describe, expect, it } from 'vitest'
import { encodeItem, OutcomeBodyError, OutcomeItemError, parseBody, parseItem } from '../../gateway/observe/outcome-items.js'

const NOW = Date.UTC(2026, 5, 1, 12)
const opts = { model: 'fraud', now: NOW }

function error (fn: () => unknown): OutcomeItemError {
  try {
    fn()
  } catch (err) {
    if (err instanceof OutcomeItemError) return err
    throw err
  }
  throw new Error('no OutcomeItemError thrown')
}

describe('outcome items', () => {
  it.each([
    [{ id: 'a', label: true }, { kind: 'label', x: 1, atMs: NOW }],
    [{ id: 'a', label: false }, { kind: 'label', x: 0, atMs: NOW }],
    [{ id: 'a', label: 0.25 }, { kind: 'label', x: 0.25, atMs: NOW }],
    [{ id: 'a', value: -12.5, at: 1_780_000_000_000 }, { kind: 'value', x: -12.5, atMs: 1_780_000_000_000 }],
    [{ id: 'a', value: 3, at: '2026-05-31T23:00:00Z' }, { kind: 'value', x: 3, atMs: Date.UTC(2026, 4, 31, 23) }],
    [{ id: 'a', value: 3, at: '2026-05-31T23:00:00.250+02:00' }, { kind: 'value', x: 3, atMs: Date.UTC(2026, 4, 31, 21, 0, 0, 250) }]
  ])('reads %j', (raw, want) => {
    expect(parseItem(raw, 0, opts)).toEqual({ model: 'fraud', id: 'a', ...want })
  })

  it.each([
    ['not an object', 'x', undefined, /must be a JSON object/],
    ['an id too long', { id: 'x'.repeat(129), label: 1 }, 'id', /1 to 128 characters/],
    ['an empty id', { id: '', label: 1 }, 'id', /request's id/],
    ['a string label', { id: 'a', label: 'yes' }, 'label', /number, true or false/],
    ['an infinite value', { id: 'a', value: 1e400 }, 'value', /finite number/],
    ['a fractional at', { id: 'a', value: 1, at: 1.5e12 + 0.5 }, 'at', /integer/],
    ['an at before 2000', { id: 'a', value: 1, at: 900_000_000_000 }, 'at', /outside 2000\.\.2100/],
    ['an at that is a date word', { id: 'a', value: 1, at: 'tomorrow' }, 'at', /ISO 8601/],
    ['an invalid calendar date', { id: 'a', value: 1, at: '2026-13-45' }, 'at', /not a valid time/],
    ['a bad model name', { id: 'a', value: 1, model: 'a b' }, 'model', /model name/]
  ])('refuses %s, naming the field', (_what, raw, field, reason) => {
    const e = error(() => parseItem(raw, 7, opts))
    expect({ item: e.item, field: e.field }).toEqual({ item: 7, field })
    expect(e.reason).toMatch(reason)
  })

  it('binary labels: 0 and 1 only', () => {
    expect(parseItem({ id: 'a', label: 1 }, 0, { ...opts, binaryLabels: true }).x).toBe(1)
    expect(error(() => parseItem({ id: 'a', label: 0.5 }, 0, { ...opts, binaryLabels: true })).reason).toMatch(/0 or 1/)
  })

  it('on the topic: the model comes from the item, else from the message key, else it is an error', () => {
    expect(parseItem({ id: 'a', label: 1, model: 'm2' }, 0, { keyModel: 'm1', now: NOW }).model).toBe('m2')
    expect(parseItem({ id: 'a', label: 1 }, 0, { keyModel: 'm1', now: NOW }).model).toBe('m1')
    expect(error(() => parseItem({ id: 'a', label: 1 }, 3, { now: NOW })).field).toBe('model')
  })

  it('a JSON array and NDJSON give the same items; blank lines are skipped', () => {
    const items = [{ id: 'a', label: 1 }, { id: 'b', value: 2, at: 1_780_000_000_000 }]
    const fromArray = parseBody(JSON.stringify(items), { ...opts, maxItems: 10 })
    const fromLines = parseBody(`\n${items.map(i => JSON.stringify(i)).join('\n\r\n')}\n\n`, { ...opts, maxItems: 10 })
    expect(fromLines).toEqual(fromArray)
    expect(fromArray.map(i => i.id)).toEqual(['a', 'b'])
  })

  it('an NDJSON line that does not parse is that item\'s error; a broken array is a body error', () => {
    expect(error(() => parseBody('{"id":"a","label":1}\n{oops\n', { ...opts, maxItems: 10 })).item).toBe(1)
    expect(() => parseBody('[{"id":"a"', { ...opts, maxItems: 10 })).toThrow(OutcomeBodyError)
    expect(() => parseBody('{"id":"a","label":1}', { ...opts, maxItems: 10 })).not.toThrow()
  })

  it('more items than maxItems is a RangeError, for arrays and NDJSON', () => {
    const items = Array.from({ length: 4 }, (_, i) => ({ id: `i${i}`, label: 1 }))
    expect(() => parseBody(JSON.stringify(items), { ...opts, maxItems: 3 })).toThrow(RangeError)
    expect(() => parseBody(items.map(i => JSON.stringify(i)).join('\n'), { ...opts, maxItems: 3 })).toThrow(RangeError)
  })

  it('encodeItem writes the topic line the sink reads back to the same item', () => {
    const item = parseItem({ id: 'quo"te\\', value: 0.1, at: 1_780_000_000_123 }, 0, opts)
    expect(parseItem(JSON.parse(encodeItem(item)), 0, { now: 0 })).toEqual(item)
  })
})
