import { describe, expect, it } from 'vitest'
import { responseHeaders, forwardHeaders } from '../../gateway/proxy/headers.js'

// Hop-by-hop headers (RFC 9110 section 7.6.1) stay on their own hop.

function pairs (flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!])
  return out
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']

describe('forwardHeaders', () => {
  it('drops hop-by-hop headers, host, content-length and expect, keeps end-to-end ones', () => {
    const incoming: Record<string, string> = {
      host: 'gateway:8080',
      'content-length': '123',
      expect: '100-continue',
      'content-type': 'application/json',
      'x-user-id': 'u1',
      authorization: 'Bearer app-token',
      accept: '*/*'
    }
    for (const h of HOP_BY_HOP) incoming[h] = h === 'connection' ? 'keep-alive' : 'x'
    const out = pairs(forwardHeaders(incoming, 'req-1'))
    const names = out.map(([n]) => n)
    for (const h of [...HOP_BY_HOP, 'host', 'content-length', 'expect']) expect(names).not.toContain(h)
    expect(out).toEqual(expect.arrayContaining([['content-type', 'application/json'], ['x-user-id', 'u1'], ['authorization', 'Bearer app-token'], ['accept', '*/*']]))
  })

  it('drops the fields the Connection header names', () => {
    const out = pairs(forwardHeaders({ connection: 'keep-alive, X-Hop-Secret , x-other', 'x-hop-secret': 's', 'x-other': 'o', 'x-kept': 'k' }, 'req-1'))
    const names = out.map(([n]) => n)
    expect(names).not.toContain('x-hop-secret')
    expect(names).not.toContain('x-other')
    expect(names).toContain('x-kept')
  })

  it('sends exactly one x-request-id, the one the gateway settled on', () => {
    const out = pairs(forwardHeaders({ 'x-request-id': 'from-client' }, 'chosen'))
    expect(out.filter(([n]) => n === 'x-request-id')).toEqual([['x-request-id', 'chosen']])
  })

  it('forwards every value of a repeated header', () => {
    const out = pairs(forwardHeaders({ 'x-tag': ['a', 'b'] } as never, 'r'))
    expect(out.filter(([n]) => n === 'x-tag')).toEqual([['x-tag', 'a'], ['x-tag', 'b']])
  })
})

describe('responseHeaders', () => {
  function capture (headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
    const flat = responseHeaders(headers)
    const set: Record<string, string | string[]> = {}
    for (let i = 0; i < flat.length; i += 2) {
      const [name, value] = [flat[i]!, flat[i + 1]!]
      const prev = set[name]
      set[name] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value]
    }
    return set
  }

  it('drops hop-by-hop, content-length, date and the headers the gateway sets itself, keeps the rest', () => {
    const set = capture({
      connection: 'keep-alive',
      'keep-alive': 'timeout=65',
      'transfer-encoding': 'chunked',
      'content-length': '10',
      date: 'Mon, 01 Jan 2024 00:00:00 GMT',
      'content-type': 'application/json',
      'x-model-version': 'v2',
      'x-request-id': 'from-the-model',
      'x-extra': undefined,
      'x-trace': ['a', 'b']
    })
    expect(set).toEqual({ 'content-type': 'application/json', 'x-trace': ['a', 'b'] })
  })

  it('drops the fields the upstream Connection header names', () => {
    expect(capture({ connection: 'close, x-upstream-hop', 'x-upstream-hop': '1', 'x-end': '2' })).toEqual({ 'x-end': '2' })
  })
})
