import { deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../support/eventually.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { PYTHON_ENV_TIMEOUT_MS, startOipClient, type ClientCall, type ClientError, type ClientResult, type OipClient } from '../support/oip-client.js'
import { startMlserver, type OipServer } from '../support/oip-servers.js'
import { expectGatewayError } from '../support/oip.js'
import { closedPort } from '../support/ports.js'

// Every error the gateway itself answers reaches a third-party OIP client
// (tritonclient) as the protocol's error: the client raises its own
// InferenceServerException carrying the gateway's message and status, never a
// decoding failure. Each case asks the gateway directly for the answer
// (status, code, message) and has the client send the same request; the client
// calls run in one client process (importing it takes seconds), in beforeAll.

const LIMIT = 4096
const TIMEOUT_MS = 300
const HEALTH_OFF = { enabled: false }
let client: OipClient
let mlserver: OipServer
let gw: GatewayProcess

beforeAll(async () => {
  client = await startOipClient()
  mlserver = await startMlserver([{ name: 'scale', factor: 1 }, { name: 'slow', factor: 1, delaySeconds: 3 }])
  const dead = `http://127.0.0.1:${await closedPort()}`
  gw = await startGatewayProcess({
    models: {
      scale: { versions: { v1: { replicas: [mlserver.url] } }, release: { strategy: 'canary', stable: 'v1' }, bodyLimitBytes: LIMIT, healthCheck: HEALTH_OFF },
      slow: { versions: { v1: { replicas: [mlserver.url] } }, release: { strategy: 'canary', stable: 'v1' }, timeouts: { requestMs: TIMEOUT_MS }, healthCheck: HEALTH_OFF },
      dead: {
        versions: { v1: { replicas: [dead] } },
        release: { strategy: 'canary', stable: 'v1' },
        healthCheck: { enabled: true, intervalMs: 100, timeoutMs: 200, jitter: 0, unhealthyThreshold: 1, healthyThreshold: 1 }
      }
    }
  })
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await client?.close()
  await gw?.stop()
  await mlserver?.stop()
})

const tensorJson = (shape: number[], fill: number): string =>
  JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape, data: new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(fill) }] })
const SMALL = tensorJson([1, 4], 1)
/** ~100 kB of zeros: a few hundred bytes compressed, far over LIMIT inflated. */
const ZEROS_SHAPE = [1, 25_000]

interface Case {
  name: string
  status: number
  code: string
  /** The same request sent with fetch, to read the gateway's own answer. */
  direct: { path: string, body: string | Buffer, headers?: Record<string, string> }
  client: ClientCall
}

const cases: Case[] = [
  {
    name: 'unknown model',
    status: 404,
    code: 'GW_UNKNOWN_MODEL',
    direct: { path: '/v2/models/nope/infer', body: SMALL },
    client: { op: 'infer', model: 'nope', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], fill: 'values', values: [1, 1, 1, 1] }] }
  },
  {
    name: 'unknown version',
    status: 404,
    code: 'GW_UNKNOWN_VERSION',
    direct: { path: '/v2/models/scale/versions/v9/infer', body: SMALL },
    client: { op: 'infer', model: 'scale', version: 'v9', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }] }
  },
  {
    name: 'malformed JSON',
    status: 400,
    code: 'GW_MALFORMED_JSON',
    direct: { path: '/v2/models/scale/infer', body: '{"inputs": [' },
    client: { op: 'post_raw', path: 'v2/models/scale/infer', body: '{"inputs": [' }
  },
  {
    name: 'body over the model limit',
    status: 413,
    code: 'GW_BODY_TOO_LARGE',
    direct: { path: '/v2/models/scale/infer', body: tensorJson([1, 2000], 7.5) },
    client: { op: 'infer', model: 'scale', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2000] }] }
  },
  {
    name: 'gzip body that inflates past the model limit',
    status: 413,
    code: 'GW_BODY_TOO_LARGE',
    direct: { path: '/v2/models/scale/infer', body: gzipSync(tensorJson(ZEROS_SHAPE, 0)), headers: { 'content-encoding': 'gzip' } },
    client: { op: 'infer', model: 'scale', compression: 'gzip', inputs: [{ name: 'x', datatype: 'FP32', shape: ZEROS_SHAPE, fill: 'zeros' }] }
  },
  {
    name: 'deflate body that inflates past the model limit',
    status: 413,
    code: 'GW_BODY_TOO_LARGE',
    direct: { path: '/v2/models/scale/infer', body: deflateSync(tensorJson(ZEROS_SHAPE, 0)), headers: { 'content-encoding': 'deflate' } },
    client: { op: 'infer', model: 'scale', compression: 'deflate', inputs: [{ name: 'x', datatype: 'FP32', shape: ZEROS_SHAPE, fill: 'zeros' }] }
  },
  {
    name: 'no healthy replica',
    status: 503,
    code: 'GW_NO_HEALTHY_REPLICA',
    direct: { path: '/v2/models/dead/infer', body: SMALL },
    client: { op: 'infer', model: 'dead', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }] }
  },
  {
    name: 'upstream timeout',
    status: 504,
    code: 'GW_UPSTREAM_TIMEOUT',
    direct: { path: '/v2/models/slow/infer', body: SMALL },
    client: { op: 'infer', model: 'slow', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }] }
  }
]

/** The gateway's own answers, read back into Responses so each case checks its own. */
const direct: Response[] = []
let answers: ClientResult<Record<string, unknown>>[] = []

beforeAll(async () => {
  await eventually(async () => {
    const res = await fetch(`${gw.url}/v2/models/dead/ready`)
    await res.arrayBuffer()
    expect(res.status, 'the health checks mark the dead replica down').toBe(503)
  })
  for (const c of cases) {
    const res = await fetch(`${gw.url}${c.direct.path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...c.direct.headers }, body: c.direct.body })
    direct.push(new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers }))
  }
  answers = await client.calls(gw.url, cases.map(c => c.client))
}, 120_000)

describe('gateway errors read by tritonclient', () => {
  it.each(cases.map((c, i) => ({ ...c, i })))('$name: the client raises InferenceServerException with status $status and the gateway\'s $code message', async (c) => {
    const { error: message } = await expectGatewayError(direct[c.i]!, c.status, c.code)

    const r = answers[c.i]!
    expect(r.ok).toBe(false)
    const err = r as ClientError
    expect(err.exception).toBe('InferenceServerException')
    expect(err.status).toBe(String(c.status))
    expect(err.message_type).toBe('str')
    expect(err.message).toBe(message)
    expect(err.text).toContain(message)
  })
})
