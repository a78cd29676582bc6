import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { startHungServer, startModel, type HungServer, type ModelProcess } from '../../scripts/processes/model-process.js'
import { repoRoot } from '../../scripts/processes/ready-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { FRAUD_REQUEST } from '../support/oip.js'
import { eventually } from '../support/eventually.js'

// A shadow version that never answers: its pairs say GW_UPSTREAM_TIMEOUT (the
// gateway's code for a deadline), and `shadow fraud --summary` shows them
// without ClickHouse, from the instance's own tally.

const TOKEN = 'shadow-summary-token-0123456789'
let model: ModelProcess
let hung: HungServer
let gw: GatewayProcess

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
  hung = await startHungServer()
  gw = await startGatewayProcess({
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    shadow: { timeoutMs: 300 },
    models: {
      fraud: {
        versions: { v1: { replicas: [model.url] }, hung: { replicas: [hung.url] } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { enabled: false },
        outlierDetection: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await hung?.close()
  await model?.stop()
})

const cli = async (...args: string[]): Promise<string> =>
  (await promisify(execFile)('node', [join(repoRoot(), 'dist', 'gateway', 'cli', 'main.js'), ...args, '--admin-url', gw.adminUrl!, '--token', TOKEN])).stdout

describe('a hung shadow version', () => {
  it('shows GW_UPSTREAM_TIMEOUT in the summary (never undici\'s code), and the CLI prints it', async () => {
    await cli('shadow', 'fraud', 'hung', '--percent', '100')
    for (let i = 0; i < 5; i++) {
      const res = await request(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST })
      await res.body.text()
      expect(res.statusCode).toBe(200)
    }
    const summary = await eventually(async () => {
      const res = await request(`${gw.adminUrl}/admin/models/fraud/shadow`, { headers: { authorization: `Bearer ${TOKEN}` } })
      const json = await res.body.json() as { summary: { pairs: number, shadowErrors: number, errors: Array<{ status: number, error: string, n: number }> } }
      expect(json.summary.pairs).toBe(5)
      return json.summary
    })
    expect(summary.shadowErrors).toBe(5)
    expect(summary.errors).toEqual([{ status: 0, error: 'GW_UPSTREAM_TIMEOUT', n: 5 }])
    const out = await cli('shadow', 'fraud', '--summary')
    expect(out).toContain('fraud: shadow of hung at 100%')
    expect(out).toContain('hung: 5 pairs, 0 with both answering 2xx')
    expect(out).toContain('shadow errors: 5 (GW_UPSTREAM_TIMEOUT x5)')
  })
})
