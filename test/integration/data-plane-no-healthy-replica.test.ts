import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../support/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { closedPort } from '../support/ports.js'

// A version whose every replica failed its active health checks has no healthy
// replica: 503 GW_NO_HEALTHY_REPLICA naming the model and version (with
// fallbackToStable off), or the stable version answers (with it on). Until the
// first failed probe marks the replica down, a request gets 502
// GW_UPSTREAM_UNAVAILABLE from the refused connection.

const INPUT = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [620, 200, 7, 265] }] })
const HEALTH = { enabled: true, intervalMs: 100, timeoutMs: 200, jitter: 0, unhealthyThreshold: 1, healthyThreshold: 1 }

const models: ModelProcess[] = []
let gw: GatewayProcess

beforeAll(async () => {
  // The upstream model name is the gateway's model name, so each model gets its own stable process.
  const [stable, stableFb] = await Promise.all([startModel({ version: 'v1' }), startModel({ version: 'v1', name: 'fraud-fb' })])
  models.push(stable!, stableFb!)
  const dead = `http://127.0.0.1:${await closedPort()}`
  const release = { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 5_000 }
  gw = await startGatewayProcess({
    models: {
      fraud: { versions: { v1: { replicas: [stable!.url] }, v2: { replicas: [dead] } }, release, fallbackToStable: false, healthCheck: HEALTH },
      'fraud-fb': { versions: { v1: { replicas: [stableFb!.url] }, v2: { replicas: [dead] } }, release, fallbackToStable: true, healthCheck: HEALTH }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all(models.map(m => m.stop()))
})

async function infer (model: string, version: string) {
  const res = await fetch(`${gw.url}/v2/models/${model}/versions/${version}/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': `nh-${model}` }, body: INPUT })
  return { status: res.status, headers: res.headers, body: await res.json() as { error?: { code: string, message: string, model?: string, version?: string }, model_version?: string } }
}

describe('no healthy replica', () => {
  it('answers 503 GW_NO_HEALTHY_REPLICA naming the model and version once the checks mark the replica down (502 before)', async () => {
    let res = await infer('fraud', 'v2')
    for (let i = 0; i < 100 && res.status !== 503; i++) {
      expect(res.status).toBe(502)
      expect(res.body.error!.code).toBe('GW_UPSTREAM_UNAVAILABLE')
      await sleep(100)
      res = await infer('fraud', 'v2')
    }
    expect(res.status).toBe(503)
    expect(res.body.error!.code).toBe('GW_NO_HEALTHY_REPLICA')
    expect(res.body.error!.message).toContain('"fraud"')
    expect(res.body.error!.message).toContain('"v2"')
    expect(res.body.error).toMatchObject({ model: 'fraud', version: 'v2' })
    expect(res.headers.get('x-request-id')).toBe('nh-fraud')
    expect(res.headers.get('x-model-version')).toBe('v2')
    // It stays that way while the replica stays down.
    for (let i = 0; i < 5; i++) expect((await infer('fraud', 'v2')).status).toBe(503)
  })

  it('reports the version not ready, the model still ready through its stable version', async () => {
    const v = await fetch(`${gw.url}/v2/models/fraud/versions/v2/ready`)
    expect(v.status).toBe(503)
    expect(await v.json()).toEqual({ name: 'fraud', version: 'v2', ready: false })
    const m = await fetch(`${gw.url}/v2/models/fraud/ready`)
    expect(m.status).toBe(200)
    await m.arrayBuffer()
  })

  it('with fallbackToStable, serves the stable version and says so', async () => {
    let res = await infer('fraud-fb', 'v2')
    for (let i = 0; i < 100 && res.headers.get('x-model-fallback') === null; i++) {
      await sleep(100)
      res = await infer('fraud-fb', 'v2')
    }
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-fallback')).toBe('stable')
    expect(res.headers.get('x-model-version')).toBe('v1')
    expect(res.body.model_version).toBe('v1')
  })

  it('leaves the gateway alive', () => {
    expect(gw.alive()).toBe(true)
  })
})
