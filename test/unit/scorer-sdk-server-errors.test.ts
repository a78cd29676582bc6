import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidInputError, serve } from '../../scorer-sdk/index.js'
import type { ScorerServer } from '../../scorer-sdk/index.js'

// Every failure the server reports uses an OIP error body {"error": "..."}.
let server: ScorerServer

beforeAll(async () => {
  server = await serve({
    name: 'echo',
    version: '1',
    maxBodyBytes: 1024,
    inputs: [{ name: 'x', datatype: 'FP64', shape: [-1] }],
    predict: (inputs) => {
      const data = inputs[0]!.data as number[]
      if (data[0] === 13) throw new Error('unlucky input')
      if (data[0] === 7) throw new InvalidInputError('seven is not allowed')
      return [{ name: 'y', shape: [data.length], datatype: 'FP64', data }]
    }
  })
})
afterAll(async () => { await server?.close() })

async function post (path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: { error?: string }; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
  return { status: res.status, body: await res.json() as { error?: string }, headers: res.headers }
}

const x = (data: unknown[]): string => JSON.stringify({ inputs: [{ name: 'x', shape: [data.length], datatype: 'FP64', data }] })

describe('serve() errors', () => {
  it('answers 400 to malformed JSON', async () => {
    const res = await post('/v2/models/echo/infer', '{"inputs": [')
    expect(res.status).toBe(400)
    expect(res.body.error).toMatch(/^malformed JSON/)
  })

  it('answers 400 to a body without inputs', async () => {
    expect(await post('/v2/models/echo/infer', '{}')).toMatchObject({ status: 400, body: { error: "missing 'inputs'" } })
  })

  it('answers 400 to a datatype the model does not declare', async () => {
    const res = await post('/v2/models/echo/infer', JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'INT32', data: [1] }] }))
    expect(res).toMatchObject({ status: 400, body: { error: expect.stringMatching(/datatype INT32/) } })
  })

  it('answers 400 when predict throws InvalidInputError', async () => {
    expect(await post('/v2/models/echo/infer', x([7]))).toMatchObject({ status: 400, body: { error: 'seven is not allowed' } })
  })

  it('answers 500 when predict throws anything else', async () => {
    expect(await post('/v2/models/echo/infer', x([13]))).toMatchObject({ status: 500, body: { error: 'unlucky input' } })
  })

  it('answers 404 to an unknown model and an unknown version', async () => {
    expect(await post('/v2/models/nope/infer', x([1]))).toMatchObject({ status: 404, body: { error: "model 'nope' not found" } })
    expect(await post('/v2/models/echo/versions/2/infer', x([1]))).toMatchObject({ status: 404, body: { error: "model 'echo' version '2' not found" } })
  })

  it('answers 405 with Allow to the wrong method', async () => {
    const res = await fetch(`${server.url}/v2/models/echo/infer`)
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
    expect(await res.json()).toEqual({ error: expect.stringMatching(/method GET not allowed/) })
  })

  it('answers 413 to a body over the cap', async () => {
    const res = await post('/v2/models/echo/infer', x(new Array(500).fill(1)))
    expect(res).toMatchObject({ status: 413, body: { error: 'request body exceeds 1024 bytes' } })
  })

  it('echoes x-request-id on errors', async () => {
    const res = await post('/v2/models/echo/infer', '{', { 'x-request-id': 'req-42' })
    expect(res.headers.get('x-request-id')).toBe('req-42')
  })
})
