import { describe, expect, it } from 'vitest'
import { matchInferUrl, matchOutcomesUrl } from '../../gateway/server/infer-url.js'

// The fast path must take exactly the inference URLs and leave the rest to fastify.
describe('matchInferUrl', () => {
  it.each([
    ['/v2/models/fraud/infer', { model: 'fraud', version: undefined }],
    ['/v2/models/fraud/infer/', { model: 'fraud', version: undefined }],
    ['/v2/models/fraud/infer?trace=1', { model: 'fraud', version: undefined }],
    ['/v2/models/fraud/versions/v2/infer', { model: 'fraud', version: 'v2' }],
    ['/v2/models/fraud/versions/v2/infer/?a=b', { model: 'fraud', version: 'v2' }],
    ['/v2/models/fr%61ud/versions/v%32/infer', { model: 'fraud', version: 'v2' }],
    ['/v2/models/a.b-c_d/infer', { model: 'a.b-c_d', version: undefined }]
  ])('%s is an inference URL', (url, expected) => {
    expect(matchInferUrl(url)).toEqual(expected)
  })

  it.each([
    '/v2/models/fraud',
    '/v2/models/fraud/ready',
    '/v2/models//infer',
    '/v2/models/fraud/versions//infer',
    '/v2/models/fraud/versions/v2/extra/infer',
    '/v2/models/fraud/other/v2/infer',
    '/v2/models/fraud/inference',
    '/v1/models/fraud/infer',
    '/v2/models/%E0%A4%A/infer',
    '/v2/health/ready'
  ])('%s is not', (url) => {
    expect(matchInferUrl(url)).toBeNull()
  })
})

describe('matchOutcomesUrl', () => {
  it.each([
    ['/v2/models/fraud/outcomes', 'fraud'],
    ['/v2/models/fraud/outcomes/', 'fraud'],
    ['/v2/models/fr%20aud/outcomes?x=1', 'fr aud'],
    ['/v2/models/fraud/versions/v1/outcomes', null],
    ['/v2/models//outcomes', null],
    ['/v2/models/fraud/infer', null]
  ])('%s -> %s', (url, want) => {
    expect(matchOutcomesUrl(url)).toBe(want)
  })
})
