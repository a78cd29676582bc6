// SIGHUP with a good config file: a new model and a new version appear without
// a restart, and the stored release state wins for what it has (the split and
// replica lists operators set stay; the new version waits at 0%). The change
// is revisioned and audited like any other.
import { writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startLoadLoop } from '../support/load.js'
import { FRAUD_REQUEST as INFER_BODY } from '../support/oip.js'
import { eventually } from '../support/eventually.js'
import { admin, TOKEN } from '../support/redis-fleet.js'

const ADMIN = { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] }
const models: Record<string, ModelProcess> = {}
let gw: GatewayProcess

beforeAll(async () => {
  const [v1, v1b, v2, churn] = await Promise.all([
    startModel({ version: 'v1' }), startModel({ version: 'v1' }), startModel({ version: 'v2' }), startModel({ version: 'v1', name: 'churn' })
  ])
  Object.assign(models, { v1, v1b, v2, churn })
  gw = await startGatewayProcess({
    admin: ADMIN,
    models: { fraud: { versions: { v1: { replicas: [v1!.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } } }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all(Object.values(models).map(m => m.stop()))
})

describe('SIGHUP with a good config file', () => {
  it('serves the new model and version, and keeps the stored split and replicas', async () => {
    // An operator adds a replica through the admin API: stored state now differs from the file.
    const added = await fetch(`${gw.adminUrl}/admin/models/fraud/versions/v1/replicas`, {
      method: 'PATCH', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ add: [models.v1b!.url] })
    })
    expect(added.status).toBe(200)
    const before = (await admin(gw, 'GET', '/admin/models')).json.revision

    await writeFile(gw.configFile, JSON.stringify({
      admin: ADMIN,
      models: {
        fraud: {
          versions: { v1: { replicas: [models.v1!.url] }, v2: { replicas: [models.v2!.url] } },
          release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 5_000 },
          healthCheck: { enabled: false }
        },
        churn: { versions: { v1: { replicas: [models.churn!.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } }
      }
    }))
    gw.kill('SIGHUP')

    const churn = await eventually(async () => {
      const r = await fetch(`${gw.url}/v2/models/churn/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: INFER_BODY })
      expect(r.status).toBe(200)
      return (await r.json()) as { model_name: string }
    })
    expect(churn.model_name).toBe('churn')
    const v2 = await fetch(`${gw.url}/v2/models/fraud/versions/v2/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: INFER_BODY })
    expect(v2.status).toBe(200)
    expect(v2.headers.get('x-model-version')).toBe('v2')
    await v2.arrayBuffer()

    // Stored state wins: v1 keeps its two replicas and all the traffic; the file's 50% canary is not applied.
    const { json } = await admin(gw, 'GET', '/admin/models/fraud')
    expect(json.revision).toBe(before + 1)
    expect(json.model.split).toEqual([{ version: 'v1', weight: 10_000 }])
    expect(json.model.versions.map(v => [v.name, v.weight, v.replicas.map(r => r.url)])).toEqual([
      ['v1', 10_000, [models.v1!.url, models.v1b!.url]],
      ['v2', 0, [models.v2!.url]]
    ])
    const answers = await startLoadLoop(gw.url, { prefix: 'hup', maxRequests: 40, concurrency: 2 }).done()
    expect(answers.every(a => a.status === 200)).toBe(true)
    const audit = (await admin(gw, 'GET', '/admin/audit?limit=1')).json.entries[0]!
    expect(audit).toMatchObject({ actor: 'config', action: 'reload', revisionBefore: before, revisionAfter: before + 1 })
    expect(audit.detail).toMatchObject({ models: ['churn'], versions: [{ model: 'fraud', version: 'v2' }] })
    expect(gw.stderr()).toContain('"msg":"config reloaded"')
  }, 60_000)
})
