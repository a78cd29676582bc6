// Certificate rotation under load: the data plane's certificate files are
// replaced (atomic renames, as a secret updater does) while two loads run, one
// on keep-alive connections and one opening a new connection for every
// request. New connections get the new certificate, a connection opened before
// keeps serving with the old one, and no request fails.
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https'
import { copyFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, type TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { fingerprintOf, makeCa, replaceCert, type CertFiles, type TestCa } from '../support/certs.js'
import { eventually } from '../support/eventually.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startLoad } from '../support/load.js'
import { FRAUD_REQUEST } from '../support/oip.js'

let ca: TestCa
let caPem: Buffer
let first: CertFiles
let second: CertFiles
let live: CertFiles
let model: ModelProcess
let gw: GatewayProcess

beforeAll(async () => {
  ca = await makeCa()
  caPem = await readFile(ca.cert)
  first = await ca.issue('gateway')
  second = await ca.issue('gateway')
  live = { cert: join(ca.dir, 'live.crt'), key: join(ca.dir, 'live.key') }
  await copyFile(first.cert, live.cert)
  await copyFile(first.key, live.key)
  model = await startModel({ version: 'v1' })
  gw = await startGatewayProcess({
    gateway: { tls: live },
    models: { fraud: { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } } }
  })
})
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
  await ca?.remove()
})

/** The certificate a new TLS connection to the gateway is shown. */
function presented (): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: gw.port, ca: caPem, servername: 'localhost' }, () => {
      resolve(s.getPeerCertificate().fingerprint256)
      s.end()
    })
    s.once('error', reject)
  })
}

/** One scoring request on `agent`: its status and the certificate of the connection it used. */
function score (agent: HttpsAgent): Promise<{ status: number, cert: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: gw.port, path: '/v2/models/fraud/infer', method: 'POST', agent, ca: caPem, headers: { 'content-type': 'application/json' } }, (res) => {
      const cert = (res.socket as TLSSocket).getPeerCertificate().fingerprint256
      res.resume()
      res.once('end', () => { resolve({ status: res.statusCode ?? 0, cert }) })
    })
    req.once('error', reject)
    req.end(FRAUD_REQUEST)
  })
}

describe('certificate rotation under load', () => {
  it('replaced certificate files: new connections get the new certificate, an open one keeps the old, 0 requests fail', async () => {
    const [oldFp, newFp] = await Promise.all([fingerprintOf(first.cert), fingerprintOf(second.cert)])
    expect(oldFp).not.toBe(newFp)
    expect(await presented()).toBe(oldFp)
    const keepAlive = new HttpsAgent({ keepAlive: true, maxSockets: 1 })
    expect(await score(keepAlive)).toEqual({ status: 200, cert: oldFp })

    const url = `https://127.0.0.1:${gw.port}`
    const reused = startLoad({ url, ca: caPem, concurrency: 4, maxRequests: 1_000_000, maxMs: 60_000 })
    const fresh = startLoad({ url, ca: caPem, concurrency: 2, maxRequests: 1_000_000, maxMs: 60_000, newConnectionEach: true })
    await eventually(() => { expect(reused.progress.ok + fresh.progress.ok).toBeGreaterThan(100) }, { timeoutMs: 20_000 })

    await replaceCert(second, live)
    await eventually(async () => { expect(await presented()).toBe(newFp) }, { timeoutMs: 10_000, intervalMs: 100 })
    // Load goes on with the new certificate for a while before it stops.
    const freshAtRotation = fresh.progress.ok
    await eventually(() => { expect(fresh.progress.ok).toBeGreaterThan(freshAtRotation + 50) }, { timeoutMs: 20_000 })
    const [r, f] = await Promise.all([reused.stop(), fresh.stop()])

    expect({ reusedFailed: r.failed, freshFailed: f.failed, failures: [...r.failures, ...f.failures].slice(0, 5) }).toEqual({ reusedFailed: 0, freshFailed: 0, failures: [] })
    // The connection opened before the rotation still serves, with the certificate it was opened with.
    expect(await score(keepAlive)).toEqual({ status: 200, cert: oldFp })
    keepAlive.destroy()
  })
})
