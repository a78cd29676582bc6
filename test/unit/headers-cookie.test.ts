import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { cookieValue, stickyKeyOf } from '../../gateway/proxy/headers.js'

// The sticky key can come from a cookie: RFC 6265 section 5.4 "name=value; name2=value2".

describe('cookieValue', () => {
  it('reads the named cookie wherever it is in the header', () => {
    expect(cookieValue('uid=abc', 'uid')).toBe('abc')
    expect(cookieValue('a=1; uid=abc; b=2', 'uid')).toBe('abc')
    expect(cookieValue('a=1;uid=abc', 'uid')).toBe('abc')
    expect(cookieValue('a=1;   uid=abc  ', 'uid')).toBe('abc')
  })

  it('does not match a cookie whose name merely starts or ends with the wanted one', () => {
    expect(cookieValue('xuid=1; uidx=2', 'uid')).toBeUndefined()
    expect(cookieValue('xuid=1; uidx=2; uid=3', 'uid')).toBe('3')
  })

  it('takes the first of duplicate cookies', () => {
    expect(cookieValue('uid=first; uid=second', 'uid')).toBe('first')
  })

  it('keeps "=" inside the value and strips the DQUOTEs of a quoted value', () => {
    expect(cookieValue('uid=a=b==', 'uid')).toBe('a=b==')
    expect(cookieValue('uid="quoted"', 'uid')).toBe('quoted')
    expect(cookieValue('uid=', 'uid')).toBe('')
  })

  it('is case-sensitive in the name', () => {
    expect(cookieValue('UID=1', 'uid')).toBeUndefined()
  })

  it('skips valueless segments, which browsers send, instead of reading past them', () => {
    expect(cookieValue('flag; uid=abc', 'uid')).toBe('abc')
    expect(cookieValue('a=1; flag; uid=abc', 'uid')).toBe('abc')
    expect(cookieValue('uid; other=abc', 'uid')).toBeUndefined()
    expect(cookieValue('flag', 'uid')).toBeUndefined()
    expect(cookieValue('', 'uid')).toBeUndefined()
  })

  it('finds any cookie in any well-formed header it is part of', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/)
    const value = fc.stringMatching(/^[A-Za-z0-9_.-]{0,20}$/)
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(name, value), { minLength: 1, maxLength: 8, selector: ([n]) => n }), fc.nat(), (pairs, at) => {
      const header = pairs.map(([n, v]) => `${n}=${v}`).join('; ')
      const [n, v] = pairs[at % pairs.length]!
      expect(cookieValue(header, n)).toBe(v)
    }))
  })
})

describe('stickyKeyOf', () => {
  it('reads the configured header, first value when repeated', () => {
    expect(stickyKeyOf({ 'x-user-id': 'u1' }, 'x-user-id', undefined)).toBe('u1')
    expect(stickyKeyOf({ 'x-user-id': ['u1', 'u2'] } as never, 'x-user-id', undefined)).toBe('u1')
  })

  it('reads the configured cookie', () => {
    expect(stickyKeyOf({ cookie: 'theme=dark; uid=u9' }, undefined, 'uid')).toBe('u9')
    expect(stickyKeyOf({ cookie: 'theme=dark' }, undefined, 'uid')).toBeUndefined()
    expect(stickyKeyOf({}, undefined, 'uid')).toBeUndefined()
  })

  it('treats a missing or empty key as no key', () => {
    expect(stickyKeyOf({}, 'x-user-id', undefined)).toBeUndefined()
    expect(stickyKeyOf({ 'x-user-id': '' }, 'x-user-id', undefined)).toBeUndefined()
    expect(stickyKeyOf({ cookie: 'uid=' }, undefined, 'uid')).toBeUndefined()
    expect(stickyKeyOf({ 'x-user-id': 'u1' }, undefined, undefined)).toBeUndefined()
  })

  it('caps very long keys at 512 characters', () => {
    const long = 'k'.repeat(2_000)
    expect(stickyKeyOf({ 'x-user-id': long }, 'x-user-id', undefined)).toBe('k'.repeat(512))
  })
})
