import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ScorerClient, ScorerConnectionError } from '../../scorer-sdk/index.js'

// The client retries 503 (honouring Retry-After) and connection failures,
// and nothing else.
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

interface Seen { at: number; path: string; requestId: string | undefined; userId: string | undefined }

async function flakyServer (answers: Array<{ status: number; headers?: Record<string, string>; body: unknown }>): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server: Server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      seen.push({ at: Date.now(), path: req.url ?? '', requestId: req.headers['x-request-id'] as string, userId: req.headers['x-user-id'] as string })
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!
      const body = JSON.stringify(answer.body)
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
      res.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

function client (baseUrl: string, extra: Partial<ConstructorParameters<typeof ScorerClient>[0]> = {}): ScorerClient {
  const c = new ScorerClient({ baseUrl, model: 'fraud', retries: 2, backoffMs: 20, ...extra })
  cleanups.push(() => c.close())
  return c
}

const ok = { model_name: 'fraud', model_version: 'v1', outputs: [{ name: 'fraud_probability', shape: [1], datatype: 'FP64', data: [0.5] }] }
const unavailable = { error: 'no healthy replica', code: 'GW_NO_HEALTHY_REPLICA' }
const input = [{ name: 'features', shape: [1, 4], datatype: 'FP32' as const, data: [1, 2, 3, 4] }]

describe('ScorerClient retries', () => {
  it('retries 503 twice, then returns the 200', async () => {
    const { url, seen } = await flakyServer([
      { status: 503, body: unavailable },
      { status: 503, body: unavailable },
      { status: 200, headers: { 'x-model-version': 'v7' }, body: ok }
    ])
    const result = await client(url, { stickyKey: 'user-1' }).infer(input, { requestId: 'r-1' })
    expect(result).toEqual({ outputs: ok.outputs, version: 'v7', requestId: 'r-1', status: 200 })
    expect(seen).toHaveLength(3)
    // The same request id and sticky key on every attempt.
    expect(seen.map((s) => [s.requestId, s.userId])).toEqual([['r-1', 'user-1'], ['r-1', 'user-1'], ['r-1', 'user-1']])
  })

  it('throws the last 503 as ScorerError when retries run out', async () => {
    const { url, seen } = await flakyServer([{ status: 503, body: unavailable }])
    await expect(client(url, { retries: 1 }).infer(input))
      .rejects.toMatchObject({ status: 503, code: 'GW_NO_HEALTHY_REPLICA', message: 'no healthy replica' })
    expect(seen).toHaveLength(2)
  })

  it('waits for Retry-After before retrying', async () => {
    const { url, seen } = await flakyServer([
      { status: 503, headers: { 'retry-after': '1' }, body: unavailable },
      { status: 200, body: ok }
    ])
    const result = await client(url).infer(input)
    expect(result.version).toBe('v1')
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(950)
  })

  it('does not retry other errors', async () => {
    const { url, seen } = await flakyServer([{ status: 500, body: { error: 'boom' } }, { status: 200, body: ok }])
    await expect(client(url).infer(input)).rejects.toMatchObject({ status: 500, code: 'OIP_ERROR', message: 'boom' })
    expect(seen).toHaveLength(1)
  })

  it('retries a refused connection, then reports ScorerConnectionError', async () => {
    const { url } = await flakyServer([{ status: 200, body: ok }])
    await cleanups.pop()!() // close the server: its port now refuses connections
    const started = Date.now()
    const err = await client(url, { retries: 2, backoffMs: 40 }).infer(input).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ScorerConnectionError)
    expect(err).toMatchObject({ status: 0, code: 'SCORER_CONNECTION' })
    // two backoffs: at least 20 ms + 40 ms with equal jitter
    expect(Date.now() - started).toBeGreaterThanOrEqual(55)
  })
})
