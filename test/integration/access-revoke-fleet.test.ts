// API keys across a fleet: two gateway processes share applications and keys
// through Redis. A key added with the CLI through one instance scores on both;
// revoked through one instance, it gets 401 on every instance within a second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceEnv } from '../../scripts/services/control.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { runCli } from '../support/cli.js'
import { eventually } from '../support/eventually.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { FRAUD_REQUEST } from '../support/oip.js'
import { accessFleetConfig, TOKEN } from '../support/redis-fleet.js'

const REVOKE_DEADLINE_MS = 1_000
let model: ModelProcess
const gateways: GatewayProcess[] = []

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
  const config = accessFleetConfig(serviceEnv().REDIS_URL, model.url, { checkout: { models: ['fraud'] } })
  gateways.push(await startGatewayProcess(config, { env: { GATEWAY_INSTANCE_ID: 'gw-a', LOG_LEVEL: 'warn' } }))
  gateways.push(await startGatewayProcess(config, { env: { GATEWAY_INSTANCE_ID: 'gw-b', LOG_LEVEL: 'warn' } }))
})
afterAll(async () => {
  await Promise.all(gateways.map(g => g.stop()))
  await model?.stop()
})

async function status (gw: GatewayProcess, key: string): Promise<number> {
  const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: FRAUD_REQUEST })
  await res.arrayBuffer()
  return res.status
}

describe('API keys shared by a fleet through Redis', () => {
  it('a key added through instance A with the CLI scores on A and B; revoked through A it gets 401 on both within a second', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess]
    const env = { MODEL_GATEWAY_ADMIN_URL: a.adminUrl!, MODEL_GATEWAY_TOKEN: TOKEN }
    const added = await runCli(['keys', 'add', 'checkout', 'main'], env)
    expect(added.stderr).toBe('')
    const key = added.stdout.split('\n')[0]!
    expect(key).toMatch(/^mgw_[A-Za-z0-9_-]{43}$/)
    await eventually(async () => { expect([await status(a, key), await status(b, key)]).toEqual([200, 200]) }, { timeoutMs: 5_000, intervalMs: 20 })

    const revoked = await runCli(['keys', 'revoke', 'checkout', 'main'], env)
    expect(revoked.code).toBe(0)
    const t0 = performance.now()
    await eventually(async () => { expect([await status(a, key), await status(b, key)]).toEqual([401, 401]) }, { timeoutMs: REVOKE_DEADLINE_MS, intervalMs: 10 })
    const took = performance.now() - t0
    process.stderr.write(`[access-revoke-fleet] revoked key refused on both instances ${Math.round(took)} ms after the CLI returned\n`)
  })
})
