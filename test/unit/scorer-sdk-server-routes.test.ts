import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve } from '../../scorer-sdk/index.js'
import type { ScorerServer } from '../../scorer-sdk/index.js'

let server: ScorerServer
let isReady = true

beforeAll(async () => {
  server = await serve({
    name: 'double',
    version: '3',
    platform: 'test-platform',
    ready: () => isReady,
    inputs: [{ name: 'x', datatype: 'FP64', shape: [-1], alsoAccept: ['FP32'] }],
    outputs: [{ name: 'y', datatype: 'FP64', shape: [-1] }, { name: 'n', datatype: 'INT64', shape: [1] }],
    predict: async (inputs, context) => {
      const data = inputs[0]!.data as number[]
      return [
        { name: 'y', shape: [data.length], datatype: 'FP64', data: data.map((v) => v * 2) },
        { name: 'n', shape: [1], datatype: 'INT64', data: [context.id === undefined ? 0 : data.length] }
      ]
    }
  })
})
afterAll(async () => { await server?.close() })

const body = JSON.stringify({ id: 'abc', inputs: [{ name: 'x', shape: [2], datatype: 'FP32', data: [1, 2.5] }] })

describe('serve() routes', () => {
  it('listens on a free port and reports its URL', () => {
    expect(server.port).toBeGreaterThan(0)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
  })

  it('answers an inference request with model_name, model_version, id and outputs', async () => {
    const res = await fetch(`${server.url}/v2/models/double/infer`, { method: 'POST', body, headers: { 'x-request-id': 'hdr-1' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toBe('hdr-1')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({
      model_name: 'double',
      model_version: '3',
      id: 'abc',
      outputs: [{ name: 'y', shape: [2], datatype: 'FP64', data: [2, 5] }, { name: 'n', shape: [1], datatype: 'INT64', data: [2] }]
    })
  })

  it('serves the versioned path and returns only the requested outputs', async () => {
    const res = await fetch(`${server.url}/v2/models/double/versions/3/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [4] }], outputs: [{ name: 'y' }] })
    })
    expect(await res.json()).toEqual({ model_name: 'double', model_version: '3', outputs: [{ name: 'y', shape: [1], datatype: 'FP64', data: [8] }] })
  })

  it('describes the model', async () => {
    const res = await fetch(`${server.url}/v2/models/double`)
    expect(await res.json()).toEqual({
      name: 'double',
      versions: ['3'],
      platform: 'test-platform',
      inputs: [{ name: 'x', datatype: 'FP64', shape: [-1] }],
      outputs: [{ name: 'y', datatype: 'FP64', shape: [-1] }, { name: 'n', datatype: 'INT64', shape: [1] }]
    })
  })

  it('describes the server', async () => {
    expect(await (await fetch(`${server.url}/v2`)).json()).toEqual({ name: 'scorer-sdk', version: '0.1.0', extensions: [] })
  })

  it('reports liveness always and readiness from ready()', async () => {
    expect((await fetch(`${server.url}/v2/health/live`)).status).toBe(200)
    expect((await fetch(`${server.url}/v2/health/ready`)).status).toBe(200)
    expect((await fetch(`${server.url}/v2/models/double/ready`)).status).toBe(200)
    isReady = false
    try {
      expect((await fetch(`${server.url}/v2/health/live`)).status).toBe(200)
      expect((await fetch(`${server.url}/v2/health/ready`)).status).toBe(503)
      expect((await fetch(`${server.url}/v2/models/double/ready`)).status).toBe(503)
      expect((await fetch(`${server.url}/v2/models/double/infer`, { method: 'POST', body })).status).toBe(503)
    } finally {
      isReady = true
    }
  })

  it('keeps connections alive for 65 s', async () => {
    const res = await fetch(`${server.url}/v2/health/live`)
    expect(res.headers.get('keep-alive')).toBe('timeout=65')
  })
})
