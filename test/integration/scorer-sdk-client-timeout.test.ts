import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ScorerClient, ScorerError, ScorerTimeoutError } from '../../scorer-sdk/index.js'
import { startHungServer, startModel } from '../../scripts/processes/model-process.js'
import type { HungServer, ModelProcess } from '../../scripts/processes/model-process.js'

// A slow model and a silent server both end in ScorerTimeoutError, without retries.
let slow: ModelProcess
let hung: HungServer
const clients: ScorerClient[] = []

beforeAll(async () => {
  [slow, hung] = await Promise.all([startModel({ version: 'v1', delayMs: 800 }), startHungServer()])
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await Promise.all([slow?.stop(), hung?.close()])
})

const input = [{ name: 'features', shape: [1, 4], datatype: 'FP64' as const, data: [1, 2, 3, 4] }]

describe('ScorerClient timeout', () => {
  it('throws ScorerTimeoutError when the model is slower than timeoutMs, and does not retry', async () => {
    const client = new ScorerClient({ baseUrl: slow.url, model: 'fraud', timeoutMs: 150, retries: 3 })
    clients.push(client)
    const started = Date.now()
    const err = await client.infer(input, { requestId: 't-1' }).catch((e: unknown) => e)
    const elapsed = Date.now() - started
    expect(err).toBeInstanceOf(ScorerTimeoutError)
    expect(err).toBeInstanceOf(ScorerError)
    expect(err).toMatchObject({ status: 0, code: 'SCORER_TIMEOUT', timeoutMs: 150, requestId: 't-1' })
    expect(elapsed).toBeGreaterThanOrEqual(140)
    expect(elapsed).toBeLessThan(700)
  })

  it('answers 200 from the slow model when the timeout is long enough', async () => {
    const client = new ScorerClient({ baseUrl: slow.url, model: 'fraud', timeoutMs: 5_000 })
    clients.push(client)
    expect((await client.infer(input)).status).toBe(200)
  })

  it('times out against a server that accepts and never replies, without retrying (one connection)', async () => {
    const client = new ScorerClient({ baseUrl: hung.url, model: 'fraud', timeoutMs: 100, retries: 2 })
    clients.push(client)
    await expect(client.infer(input)).rejects.toBeInstanceOf(ScorerTimeoutError)
    expect(hung.connections()).toBe(1)
  })
})
