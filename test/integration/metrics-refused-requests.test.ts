import { describe, expect, it } from 'vitest'
import { useOneModelGateway } from '../support/one-model-gateway.js'
import { expectGatewayError } from '../support/oip.js'

// Requests refused before a version is chosen (unknown model, body over the
// limit) are still counted, under bounded labels: an unknown model name from a
// URL never becomes a label of its own.

const setup = useOneModelGateway({ bodyLimitBytes: 1024 }, { admin: { metricsPublic: true } })

async function requestsTotal (): Promise<string[]> {
  const text = await (await fetch(`${setup.gw.adminUrl!}/metrics`)).text()
  return text.split('\n').filter(l => l.startsWith('model_gateway_requests_total{'))
}

describe('metrics for refused requests', () => {
  it('counts unknown models under "unknown" and oversized bodies under their model', async () => {
    for (const name of ['nope', 'also-not-a-model', 'x1']) {
      const res = await fetch(`${setup.gw.url}/v2/models/${name}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      await expectGatewayError(res, 404, 'GW_UNKNOWN_MODEL')
    }
    const big = await fetch(`${setup.gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"pad":"${'a'.repeat(4096)}"}` })
    await expectGatewayError(big, 413, 'GW_BODY_TOO_LARGE')

    const lines = await requestsTotal()
    expect(lines).toContain('model_gateway_requests_total{model="unknown",version="unknown",status_class="4xx"} 3')
    expect(lines.some(l => l.includes('nope') || l.includes('also-not-a-model'))).toBe(false)
    expect(lines.find(l => l.startsWith('model_gateway_requests_total{model="fraud"') && l.includes('status_class="4xx"'))).toMatch(/ 1$/)
  })
})
