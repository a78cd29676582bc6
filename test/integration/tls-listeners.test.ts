// The data plane and the admin API over TLS, from certificate files made with
// openssl for this run: curl and tritonclient (HTTP with SSL) check the
// gateway's certificate against the test CA and score through it; the admin
// API answers the CLI over HTTPS with the same CA.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { makeCa, type TestCa } from '../support/certs.js'
import { runCli } from '../support/cli.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectOk, PYTHON_ENV_TIMEOUT_MS, startOipClient, type InferOk, type OipClient } from '../support/oip-client.js'
import { FRAUD_REQUEST } from '../support/oip.js'

const run = promisify(execFile)
const TOKEN = 'tls-admin-token-0123456789'
let ca: TestCa
let model: ModelProcess
let gw: GatewayProcess
let client: OipClient
let dataUrl: string
let adminUrl: string

beforeAll(async () => {
  ca = await makeCa()
  const server = await ca.issue('gateway')
  client = await startOipClient({ caFile: ca.cert })
  model = await startModel({ version: 'v1' })
  gw = await startGatewayProcess({
    gateway: { tls: server },
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }], tls: server },
    models: { fraud: { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } } }
  })
  dataUrl = `https://127.0.0.1:${gw.port}`
  adminUrl = `https://127.0.0.1:${gw.adminPort!}`
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await client?.close()
  await gw?.stop()
  await model?.stop()
  await ca?.remove()
})

describe('TLS on the listeners', () => {
  it('curl checks the data plane\'s certificate against the CA and scores fraud over HTTPS', async () => {
    const { stdout } = await run('curl', ['-sS', '--cacert', ca.cert, '-X', 'POST', '-H', 'content-type: application/json', '--data', FRAUD_REQUEST,
      '-w', '\n%{http_code} %{ssl_verify_result}', `${dataUrl}/v2/models/fraud/infer`])
    const [body, status] = stdout.split('\n') as [string, string]
    expect(status).toBe('200 0')
    expect((JSON.parse(body) as { model_version: string }).model_version).toBe('v1')
  })

  it('curl without the CA refuses the certificate (exit 60): the gateway presents the test CA\'s', async () => {
    const err = await run('curl', ['-sS', `${dataUrl}/v2/health/live`]).then(() => null, (e: unknown) => e as { code: number })
    expect(err?.code).toBe(60)
  })

  it('tritonclient over HTTPS (ssl=True, ca_certs) reads live, ready and a fraud inference', async () => {
    const [server, infer] = await client.calls(dataUrl, [
      { op: 'server' },
      { op: 'infer', model: 'fraud', inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 4], fill: 'values', values: [620, 200, 7, 265] }] }
    ])
    expect(expectOk(server!)).toMatchObject({ live: true, ready: true })
    const r = expectOk(infer!) as unknown as InferOk
    expect(r.model_version).toBe('v1')
    expect(r.outputs.fraud_probability?.count).toBe(1)
  })

  it('the CLI reaches the admin API over HTTPS with --ca', async () => {
    const r = await runCli(['status', '--admin-url', adminUrl, '--token', TOKEN, '--ca', ca.cert])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/fraud\s+v1\s+100%/)
  })
})
