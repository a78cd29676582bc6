import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectGatewayError } from '../support/oip.js'

// A replica whose answer exceeds the model's maxResponseBytes is cut off: the
// client gets 502 GW_UPSTREAM_ERROR naming the limit, the gateway keeps its
// memory and goes on serving.

const LIMIT = 64 * 1024
let upstream: Server
let gw: GatewayProcess

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      if (body.includes('"big"')) {
        // Streamed in chunks, well past the limit.
        const chunk = Buffer.alloc(64 * 1024, 0x61)
        for (let i = 0; i < 64; i++) res.write(chunk)
        res.end()
      } else {
        res.end('{"model_name":"fraud","outputs":[]}')
      }
    })
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  const port = (upstream.address() as AddressInfo).port
  gw = await startGatewayProcess({
    models: {
      fraud: {
        versions: { v1: { replicas: [`http://127.0.0.1:${port}`] } },
        release: { strategy: 'canary', stable: 'v1' },
        maxResponseBytes: LIMIT,
        healthCheck: { enabled: false },
        outlierDetection: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await new Promise((resolve) => upstream?.close(resolve))
})

const post = (body: string): Promise<Response> =>
  fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })

describe('a response over maxResponseBytes', () => {
  it('is answered with 502 GW_UPSTREAM_ERROR naming the limit', async () => {
    const err = await expectGatewayError(await post('{"size":"big"}'), 502, 'GW_UPSTREAM_ERROR')
    expect(err.error).toContain(`larger than ${LIMIT} bytes`)
    expect(err.model).toBe('fraud')
  })

  it('a normal answer after a cut-off one is passed on 200 from v1', async () => {
    await expectGatewayError(await post('{"size":"big"}'), 502, 'GW_UPSTREAM_ERROR')
    const res = await post('{"size":"small"}')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-model-version')).toBe('v1')
    await res.arrayBuffer()
    expect(gw.alive()).toBe(true)
  })
})
