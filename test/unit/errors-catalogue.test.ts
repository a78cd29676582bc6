import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CATALOGUE, GatewayError, errors, parserErrorResponse, type ErrorCode } from '../../gateway/errors.js'

// The one error catalogue: every code has one status and a message, every
// answer has the OIP body shape, and no code sits in the table unused.

const CODES = Object.keys(CATALOGUE) as ErrorCode[]

function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [])
}

describe('error catalogue', () => {
  for (const code of CODES) {
    it(`${code}: status ${CATALOGUE[code].status}, body {error: string, code}`, () => {
      const e = new GatewayError(code, { model: 'fraud', version: 'v2', replica: 'http://10.0.0.1:9000', detail: 'the reason given', limit: 10, method: 'PUT', url: '/x', allowed: 'GET', timeoutMs: 5 })
      expect(e.statusCode).toBe(CATALOGUE[code].status)
      expect(e.statusCode).toBeGreaterThanOrEqual(400)
      const body = JSON.parse(JSON.stringify(e)) as Record<string, unknown>
      expect(typeof body.error).toBe('string')
      expect((body.error as string).length).toBeGreaterThan(5)
      expect(body.code).toBe(code)
      // Replica URLs are internal: never in what clients see.
      expect(JSON.stringify(body)).not.toContain('10.0.0.1')
    })
  }

  it('every code is produced somewhere in the gateway (no dead codes)', () => {
    const text = sources('gateway').filter(f => !f.endsWith('errors.ts')).map(f => readFileSync(f, 'utf8')).join('\n')
    const errorsTs = readFileSync('gateway/errors.ts', 'utf8')
    // Shorthands (errors.x(...)) count when something calls them; parserErrorResponse is used by both listeners.
    const shorthand = (name: string): string => new RegExp(`\\n  ${name}: \\(.*?(?=\\n  [a-zA-Z]+: \\(|\\n\\})`, 's').exec(errorsTs)?.[0] ?? ''
    const called = Object.keys(errors).filter(name => text.includes(`errors.${name}(`)).map(shorthand).join('\n')
    const parser = text.includes('parserErrorResponse(') ? errorsTs.slice(errorsTs.indexOf('export function parserErrorResponse')) : ''
    const unused = CODES.filter(c => ![text, called, parser].some(t => t.includes(`'${c}'`)))
    expect(unused).toEqual([])
  })

  it('answers a parser refusal as raw HTTP with the same body shape', () => {
    const raw = parserErrorResponse('HPE_HEADER_OVERFLOW', 'req-1')
    expect(raw.startsWith('HTTP/1.1 431 ')).toBe(true)
    expect(raw).toContain('x-request-id: req-1')
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { error: string, code: string }
    expect(body.code).toBe('GW_HEADERS_TOO_LARGE')
    expect(typeof body.error).toBe('string')
  })
})
