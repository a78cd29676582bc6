import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { identifier, inlineParams, literal, quoteString } from '../../gateway/sink/sql.js'
import { featuresOf } from '../../gateway/sink/clickhouse.js'
import { histogramQuantile, parseDuration, formatReport } from '../../gateway/sink/report.js'
import { parseRow } from '../../gateway/sink/rows.js'

/** Reads a ClickHouse string literal back the way the server's lexer does for the escapes quoteString writes. */
function unquote (lit: string): string {
  expect(lit.startsWith("'") && lit.endsWith("'")).toBe(true)
  const body = lit.slice(1, -1)
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!
    if (c === "'") throw new Error(`unescaped quote at ${i} in ${lit}`)
    if (c !== '\\') { out += c; continue }
    const n = body[++i]!
    out += ({ n: '\n', r: '\r', t: '\t', 0: '\0', '\\': '\\', "'": "'" } as Record<string, string>)[n] ?? n
  }
  return out
}

describe('binding values into SQL', () => {
  it('quoteString round-trips every string and never lets a quote end the literal', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      expect(unquote(quoteString(s))).toBe(s)
    }))
    expect(quoteString("x' OR 1=1 --")).toBe("'x\\' OR 1=1 --'")
    expect(quoteString('a\\')).toBe("'a\\\\'")
  })

  it('inlines typed placeholders and refuses values that do not fit the type', () => {
    expect(inlineParams('WHERE m = {model:String} AND t >= toDateTime({since:UInt32})', { model: "o'k", since: 17 }))
      .toBe("WHERE m = 'o\\'k' AND t >= toDateTime(17)")
    expect(() => inlineParams('{n:UInt32}', { n: -1 })).toThrow(/non-negative/)
    expect(() => inlineParams('{n:UInt32}', { n: 1.5 })).toThrow(/integer/)
    expect(() => inlineParams('{n:Int64}', { n: '1; DROP TABLE x' })).toThrow(/integer/)
    expect(() => inlineParams('{x:Float64}', { x: Number.NaN })).toThrow(/finite/)
    expect(() => inlineParams('{s:String}', { s: 5 })).toThrow(/expected a string/)
    expect(() => inlineParams('{s:String}', {})).toThrow(/not given/)
    expect(literal('d', 'DateTime', 100)).toBe('toDateTime(100)')
  })

  it('accepts only plain identifiers', () => {
    expect(identifier('model_gateway')).toBe('model_gateway')
    for (const bad of ['a.b', 'x; DROP', '', '1abc', 'a-b']) expect(() => identifier(bad)).toThrow(/not a valid/)
  })

  it('uses newer SQL features only on servers that have them', () => {
    expect(featuresOf('18.16.1')).toMatchObject({ queryParams: false, ttl: false, lowCardinality: false })
    expect(featuresOf('19.6.2.11')).toMatchObject({ queryParams: false, ttl: true })
    expect(featuresOf('24.3.1.2672')).toMatchObject({ queryParams: true, ttl: true, lowCardinality: true })
  })
})

describe('report helpers', () => {
  it('histogramQuantile interpolates inside the bucket and reports the overflow cell as the last bound', () => {
    const bounds = [10, 20, 50]
    expect(histogramQuantile([0, 10, 0, 0], 0.5, bounds)).toBe(15)
    expect(histogramQuantile([5, 5, 0, 0], 0.5, bounds)).toBe(10)
    expect(histogramQuantile([0, 0, 0, 3], 0.99, bounds)).toBe(50)
    expect(histogramQuantile([0, 0, 0, 0], 0.5, bounds)).toBeNaN()
  })

  it('parses durations and rejects others', () => {
    expect(parseDuration('90s')).toBe(90)
    expect(parseDuration('15m')).toBe(900)
    expect(parseDuration('2d')).toBe(172_800)
    expect(() => parseDuration('1 hour')).toThrow(/not a duration/)
  })

  it('formats one row per version', () => {
    const text = formatReport('fraud', '1h', [{ version: 'v1', requests: 90, share: 0.9, rate4xx: 0, rate5xx: 0.01, meanMs: 2, p50: 1.5, p95: 4, p99: 9, sampled: 9, meanPrediction: 0.25 }])
    expect(text).toMatch(/v1\s+90\s+90\.00%\s+0\.00%\s+1\.00%\s+2\.0\s+1\.5\s+4\.0\s+9\.0\s+9\s+0\.2500/)
  })
})

describe('sink row checks', () => {
  it('skips messages that would fail an insert', () => {
    expect(parseRow('health', 'not json')).toMatchObject({ error: expect.stringMatching(/not JSON/) })
    expect(parseRow('health', '[1]')).toEqual({ error: 'not a JSON object' })
    expect(parseRow('rollups', '{"minute":1}')).toEqual({ error: 'column model: expected string' })
    expect(parseRow('health', null)).toEqual({ error: 'empty message' })
    const ok = { time: 1, millis: 2, instance_id: 'i', model: 'm', version: 'v', replica: 'r', kind: 'http', ok: 1, latency_ms: 1, status: 200, error: '' }
    expect(parseRow('health', JSON.stringify(ok))).toEqual({ row: ok })
  })
})
