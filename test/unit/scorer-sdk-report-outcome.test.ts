import { describe, expect, it } from 'vitest'
import { ScorerClient } from '../../scorer-sdk/index.js'

// Outcomes a client can tell are wrong are refused before anything is sent (the port is never connected to).
describe('ScorerClient.reportOutcome', () => {
  const client = new ScorerClient({ baseUrl: 'http://127.0.0.1:9', model: 'fraud', retries: 0 })

  it.each([
    ['no request id', () => client.reportOutcome('', 1), /requestId must be the request id/],
    ['neither a label nor a value', () => client.reportOutcome('r-1', {}), /give a label or a value/],
    ['both a label and a value', () => client.reportOutcome('r-1', { label: true, value: 3 }), /give a label or a value/],
    ['one bad item among several', () => client.reportOutcomes([{ requestId: 'r-1', value: 1 }, { requestId: 'r-2' }]), /give a label or a value/]
  ])('refuses %s with a TypeError', async (_what, call, message) => {
    await expect(call()).rejects.toThrow(TypeError)
    await expect(call()).rejects.toThrow(message)
  })
})
