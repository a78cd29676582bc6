import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { closedPort } from '../support/ports.js'
import { eventually } from '../support/eventually.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'

// A version whose every replica failed its active health checks has no healthy
// replica: 503 GW_NO_HEALTHY_REPLICA naming the model and version (with
// fallbackToStable off), or the stable version answers (with it on). Until the
// first failed probe marks the replica down, a request gets 502
// GW_UPSTREAM_UNAVAILABLE from the refused connection.

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

function infer (model: string, version: string): Promise<Response> {
  return fetch(`${gw.url}/v2/models/${model}/versions/${version}/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': `nh-${model}` }, body: FRAUD_REQUEST })
}

/** Until the first failed probe: 502 from the refused connection; then 503. */
async function answerOnceMarkedDown (model: string): Promise<Response> {
  return await eventually(async () => {
    const res = await infer(model, 'v2')
    if (res.status === 502) {
      await expectGatewayError(res, 502, 'GW_UPSTREAM_UNAVAILABLE')
      throw new Error('replica not marked down yet')
    }
    return res
  })
}

describe('no healthy replica', () => {
  it('answers 503 GW_NO_HEALTHY_REPLICA naming the model and version once the checks mark the replica down (502 before), and keeps answering 503', async () => {
    const res = await answerOnceMarkedDown('fraud')
    const body = await expectGatewayError(res, 503, 'GW_NO_HEALTHY_REPLICA')
    expect(body.error).toContain('"fraud"')
    expect(body.error).toContain('"v2"')
    expect(body).toMatchObject({ model: 'fraud', version: 'v2' })
    expect(res.headers.get('x-request-id')).toBe('nh-fraud')
    expect(res.headers.get('x-model-version')).toBe('v2')
    for (let i = 0; i < 5; i++) await expectGatewayError(await infer('fraud', 'v2'), 503, 'GW_NO_HEALTHY_REPLICA')
  })

  it('reports the version not ready (503) and the model ready (200) through its stable version', async () => {
    await eventually(async () => {
      const v = await fetch(`${gw.url}/v2/models/fraud/versions/v2/ready`)
      expect(v.status).toBe(503)
      expect(await v.json()).toEqual({ name: 'fraud', version: 'v2', ready: false })
    })
    const m = await fetch(`${gw.url}/v2/models/fraud/ready`)
    expect(m.status).toBe(200)
    await m.arrayBuffer()
  })

  it('keeps the server ready (200) while a version has no available replica', async () => {
    await eventually(async () => {
      const v = await fetch(`${gw.url}/v2/models/fraud/versions/v2/ready`)
      await v.arrayBuffer()
      expect(v.status).toBe(503)
    })
    const ready = await fetch(`${gw.url}/v2/health/ready`)
    expect(ready.status).toBe(200)
    await ready.arrayBuffer()
  })

  it('with fallbackToStable, answers 200 from the stable version with x-model-fallback: stable', async () => {
    const res = await eventually(async () => {
      const r = await infer('fraud-fb', 'v2')
      const body = await r.json() as { model_version?: string }
      expect(r.headers.get('x-model-fallback')).toBe('stable')
      return { r, body }
    })
    expect(res.r.status).toBe(200)
    expect(res.r.headers.get('x-model-version')).toBe('v1')
    expect(res.body.model_version).toBe('v1')
  })
})
