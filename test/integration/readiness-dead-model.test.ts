// Readiness that fits Kubernetes: a model whose every replica is down leaves
// the gateway ready (GET /v2/health/ready 200, so the pod stays in the
// Service) and the other models serving; that model alone reports not ready
// at /v2/models/{m}/ready and answers 503 GW_NO_HEALTHY_REPLICA.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { closedPort } from '../support/ports.js'
import { eventually } from '../support/eventually.js'
import { FRAUD_REQUEST as INFER_BODY } from '../support/oip.js'

// A refused connection fails a probe at once; the live model gets a generous timeout on a busy machine.
const HEALTH = { enabled: true, intervalMs: 100, timeoutMs: 2_000, jitter: 0, unhealthyThreshold: 2, healthyThreshold: 1 }
let model: ModelProcess
let gw: GatewayProcess

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
  const dead = `http://127.0.0.1:${await closedPort()}`
  gw = await startGatewayProcess({
    models: {
      fraud: { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: HEALTH },
      churn: { versions: { v1: { replicas: [dead] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: HEALTH }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
})

const infer = (m: string): Promise<Response> => fetch(`${gw.url}/v2/models/${m}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: INFER_BODY })

describe('readiness with a dead model', () => {
  it('keeps the gateway ready and the other model serving while the dead model reports not ready', async () => {
    await eventually(async () => {
      const r = await fetch(`${gw.url}/v2/models/churn/ready`)
      expect(r.status).toBe(503)
      expect(await r.json()).toEqual({ name: 'churn', ready: false })
    })
    const ready = await fetch(`${gw.url}/v2/health/ready`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ ready: true })
    const fraudReady = await fetch(`${gw.url}/v2/models/fraud/ready`)
    expect(fraudReady.status).toBe(200)
    expect(await fraudReady.json()).toEqual({ name: 'fraud', ready: true })

    const ok = await infer('fraud')
    expect(ok.status).toBe(200)
    expect(ok.headers.get('x-model-version')).toBe('v1')
    await ok.arrayBuffer()
    const down = await infer('churn')
    expect(down.status).toBe(503)
    expect(((await down.json()) as { code: string }).code).toBe('GW_NO_HEALTHY_REPLICA')
  }, 30_000)
})
