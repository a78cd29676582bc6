import { describe, expect, it } from 'vitest'
import { shadowErrorCode } from '../../gateway/proxy/upstream.js'

// The error a shadow pair records: the gateway's own code, as a client would get it.
const err = (code: string | undefined): Error => Object.assign(new Error('x'), code === undefined ? {} : { code })

describe('shadow error codes', () => {
  it.each([
    ['UND_ERR_HEADERS_TIMEOUT', 'GW_UPSTREAM_TIMEOUT'],
    ['UND_ERR_BODY_TIMEOUT', 'GW_UPSTREAM_TIMEOUT'],
    ['ECONNREFUSED', 'GW_UPSTREAM_UNAVAILABLE'],
    ['UND_ERR_CONNECT_TIMEOUT', 'GW_UPSTREAM_UNAVAILABLE'],
    ['ECONNRESET', 'GW_UPSTREAM_UNAVAILABLE'],
    ['UND_ERR_SOCKET', 'GW_UPSTREAM_UNAVAILABLE'],
    ['GW_RESPONSE_TOO_LARGE', 'GW_RESPONSE_TOO_LARGE'],
    ['GW_SHADOW_CANCELLED', 'GW_SHADOW_CANCELLED'],
    ['UND_ERR_INVALID_ARG', 'GW_UPSTREAM_ERROR'],
    [undefined, 'GW_UPSTREAM_ERROR']
  ])('%s is recorded as %s', (code, want) => {
    expect(shadowErrorCode(err(code))).toBe(want)
  })
})
