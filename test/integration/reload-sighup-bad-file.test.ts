// SIGHUP with a bad config file: the reload is refused with the usual config
// error (file, path in it, reason) in the log, the running config stays (the
// model the bad file adds is not served, the others are), and
// POST /admin/reload answers 400 GW_CONFIG_INVALID with the same error.
import { writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { FRAUD_REQUEST as INFER_BODY } from '../support/oip.js'
import { eventually } from '../support/eventually.js'
import { TOKEN } from '../support/redis-fleet.js'

const ADMIN = { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] }
let model: ModelProcess
let gw: GatewayProcess

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
  gw = await startGatewayProcess({
    admin: ADMIN,
    models: { fraud: { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } } }
  })
})
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
})

const infer = (m: string): Promise<Response> => fetch(`${gw.url}/v2/models/${m}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: INFER_BODY })

describe('SIGHUP with a bad config file', () => {
  it('refuses the file naming file, path and reason, and keeps serving the running config', async () => {
    await writeFile(gw.configFile, JSON.stringify({
      admin: ADMIN,
      models: {
        fraud: { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } },
        churn: { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1', canaryWeight: 20_000 } }
      }
    }))
    gw.kill('SIGHUP')
    const expected = `${gw.configFile}: models.churn.release.canaryWeight: expected integer to be less or equal to 10000; got 20000`
    await eventually(() => { expect(gw.stderr()).toContain('config reload refused') })
    expect(gw.stderr()).toContain(expected)
    expect(gw.alive()).toBe(true)

    const ok = await infer('fraud')
    expect(ok.status).toBe(200)
    await ok.arrayBuffer()
    const unknown = await infer('churn')
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { code: string }).code).toBe('GW_UNKNOWN_MODEL')

    const res = await fetch(`${gw.adminUrl}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ error: `config not reloaded, the running config stays: ${expected}`, code: 'GW_CONFIG_INVALID' })
  }, 30_000)
})
