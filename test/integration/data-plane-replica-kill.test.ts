import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent } from 'undici'
import { startModel, type ModelProcess } from '../support/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'

// SIGKILL of one replica under a steady stream of requests is invisible to
// clients: a request whose connection fails before any response byte is retried
// once on another replica. Health checks are off so only that path is at work.

const INPUT = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [620, 200, 7, 265] }] })
const WORKERS = 20
const RUN_MS = 3_000
const KILL_AT_MS = 1_000
const MAX_REQUESTS_PER_WORKER = 5_000

const models: ModelProcess[] = []
let gw: GatewayProcess
const client = new Agent({ connections: WORKERS })

beforeAll(async () => {
  models.push(...await Promise.all([startModel({ version: 'v1' }), startModel({ version: 'v1' })]))
  gw = await startGatewayProcess({
    models: {
      fraud: {
        versions: { v1: { replicas: models.map(m => m.url) } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all(models.map(m => m.stop()))
  await client.close()
})

describe('replica killed under load', () => {
  it('causes no client-visible error', async () => {
    const statuses = new Map<string, number>()
    let afterKill = 0
    let killed = false
    const deadline = Date.now() + RUN_MS
    const worker = async (): Promise<void> => {
      for (let i = 0; i < MAX_REQUESTS_PER_WORKER && Date.now() < deadline; i++) {
        let key: string
        try {
          const res = await client.request({
            origin: gw.url,
            path: '/v2/models/fraud/infer',
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: INPUT
          })
          const text = await res.body.text()
          key = res.statusCode === 200 ? '200' : `${res.statusCode} ${text}`
          if (res.statusCode === 200 && res.headers['x-model-version'] !== 'v1') key = `200 without x-model-version v1: ${String(res.headers['x-model-version'])}`
        } catch (err) {
          key = `client error ${(err as Error).message}`
        }
        statuses.set(key, (statuses.get(key) ?? 0) + 1)
        if (killed) afterKill++
      }
    }
    const killer = (async () => {
      await sleep(KILL_AT_MS)
      models[0]!.kill('SIGKILL')
      killed = true
    })()
    await Promise.all([...Array.from({ length: WORKERS }, worker), killer])

    expect(models[0]!.process.signalCode ?? 'running').toBe('SIGKILL')
    expect(Object.fromEntries(statuses)).toEqual({ 200: expect.any(Number) })
    // The stream really ran on both sides of the kill (bounds far below what even a loaded machine does).
    expect(statuses.get('200')!).toBeGreaterThan(WORKERS * 3)
    expect(afterKill).toBeGreaterThan(WORKERS)
    expect(gw.alive()).toBe(true)
  })
})
