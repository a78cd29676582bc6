import { describe, expect, it } from 'vitest'
import { ScorerClient, ScorerError, parseRetryAfter } from '../../scorer-sdk/index.js'
import { errorFromResponse } from '../../scorer-sdk/errors.js'

describe('errorFromResponse', () => {
  it.each([
    ['a gateway body', 503, '{"error":"no healthy replica","code":"GW_NO_HEALTHY_REPLICA","model":"fraud","version":"v2"}', 'GW_NO_HEALTHY_REPLICA', 'no healthy replica'],
    ['an OIP body', 400, '{"error":"missing \'inputs\'"}', 'OIP_ERROR', "missing 'inputs'"],
    ['a text body', 502, 'Bad Gateway', 'HTTP_502', 'Bad Gateway'],
    ['an empty body', 500, '', 'HTTP_500', 'HTTP 500']
  ])('reads %s: the code and message it carries', (_label, status, text, code, message) => {
    const err = errorFromResponse(status, text, 'r1')
    expect(err).toBeInstanceOf(ScorerError)
    expect(err).toMatchObject({ status, code, message, requestId: 'r1' })
  })
})

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000)
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 7_000)).toBe(3000)
    expect(parseRetryAfter(new Date(1_000).toUTCString(), 7_000)).toBe(0)
    expect(parseRetryAfter(undefined)).toBeUndefined()
    expect(parseRetryAfter('soon')).toBeUndefined()
  })
})

describe('ScorerClient options', () => {
  it.each([
    [{ baseUrl: 'not a url', model: 'm' }, /baseUrl must be an absolute/],
    [{ baseUrl: 'ftp://x', model: 'm' }, /baseUrl must be http or https/],
    [{ baseUrl: 'http://x', model: '' }, /model must be a non-empty string/],
    [{ baseUrl: 'http://x', model: 'm', timeoutMs: 0 }, /timeoutMs must be > 0/],
    [{ baseUrl: 'http://x', model: 'm', retries: -1 }, /retries must be an integer >= 0/]
  ])('fails fast on bad options %#', (options, message) => {
    expect(() => new ScorerClient(options)).toThrow(message)
  })
})
