// JWTs on the data plane, verified against a JWKS served over HTTP: a valid
// token names its application (sub) and its sticky key (a claim); a bad
// signature, an expired token and a wrong audience each get 401 naming the
// reason; a token of an application the gateway does not know gets 403; a key
// added to the JWKS later is fetched when a token first names it.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { eventually } from '../support/eventually.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { expectGatewayError, FRAUD_REQUEST } from '../support/oip.js'

const ISSUER = 'https://idp.example.test'
const AUDIENCE = 'model-gateway'
type Signer = Awaited<ReturnType<typeof generateKeyPair>>['privateKey']
const jwks: { keys: JWK[] } = { keys: [] }
let idp: Server
let signing: Signer
let impostor: Signer
let later: Signer
let laterJwk: JWK
const models: ModelProcess[] = []
let gw: GatewayProcess

async function keyPair (kid: string): Promise<{ privateKey: Signer, jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  return { privateKey, jwk: { ...await exportJWK(publicKey), kid, alg: 'RS256', use: 'sig' } }
}

beforeAll(async () => {
  const k1 = await keyPair('k1')
  signing = k1.privateKey
  jwks.keys.push(k1.jwk)
  impostor = (await keyPair('k1')).privateKey
  const k2 = await keyPair('k2')
  later = k2.privateKey
  laterJwk = k2.jwk
  idp = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)) })
  await new Promise<void>(resolve => idp.listen(0, '127.0.0.1', resolve))
  models.push(await startModel({ version: 'v1' }), await startModel({ version: 'v2' }))
  gw = await startGatewayProcess({
    access: {
      enabled: true,
      applications: { checkout: { models: ['fraud'] } },
      jwt: { jwksUrl: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`, issuer: ISSUER, audience: AUDIENCE, stickyClaim: 'uid' }
    },
    models: {
      fraud: {
        sticky: { header: 'x-user-id' },
        versions: { v1: { replicas: [models[0]!.url] }, v2: { replicas: [models[1]!.url] } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 5_000 },
        healthCheck: { enabled: false }
      }
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all(models.map(m => m.stop()))
  await new Promise(resolve => idp?.close(resolve))
})

function token (key: Signer, opts: { kid?: string, sub?: string, aud?: string, expSecondsFromNow?: number, uid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ uid: opts.uid ?? 'user-1' })
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1' })
    .setSubject(opts.sub ?? 'checkout')
    .setIssuer(ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuedAt(now - 600)
    .setExpirationTime(now + (opts.expSecondsFromNow ?? 300))
    .sign(key)
}

function infer (jwt: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}`, ...headers }, body: FRAUD_REQUEST })
}

describe('JWT verification', () => {
  it('a valid token of a registered application scores fraud', async () => {
    const res = await infer(await token(signing))
    expect(res.status).toBe(200)
  })

  it('the sticky key comes from the token\'s uid claim: one token, 20 different x-user-id headers, one version', async () => {
    const jwt = await token(signing, { uid: 'customer-77' })
    const versions = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const res = await infer(jwt, { 'x-user-id': `header-user-${i}` })
      expect(res.status).toBe(200)
      versions.add(res.headers.get('x-model-version')!)
    }
    expect(versions.size).toBe(1)
  })

  it('a bad signature gets 401 naming the signature', async () => {
    const body = await expectGatewayError(await infer(await token(impostor)), 401, 'GW_UNAUTHORIZED')
    expect(body.error).toBe('token signature does not verify')
  })

  it('an expired token gets 401 naming the expiry', async () => {
    const body = await expectGatewayError(await infer(await token(signing, { expSecondsFromNow: -120 })), 401, 'GW_UNAUTHORIZED')
    expect(body.error).toMatch(/^token expired at \d{4}-\d\d-\d\dT/)
  })

  it('a wrong audience gets 401 naming the audience expected', async () => {
    const body = await expectGatewayError(await infer(await token(signing, { aud: 'another-service' })), 401, 'GW_UNAUTHORIZED')
    expect(body.error).toBe('token audience is not "model-gateway"')
  })

  it('a valid token of an application the gateway does not know gets 403', async () => {
    const body = await expectGatewayError(await infer(await token(signing, { sub: 'stranger' })), 403, 'GW_FORBIDDEN')
    expect(body.error).toBe('application "stranger" named by the token is not registered')
  })

  it('a key published later is fetched when a token first names it: 401 "unknown key" first, then 200', async () => {
    jwks.keys.push(laterJwk)
    const jwt = await token(later, { kid: 'k2' })
    const first = await expectGatewayError(await infer(jwt), 401, 'GW_UNAUTHORIZED')
    expect(first.error).toBe('token is signed with a key the gateway does not know')
    await eventually(async () => { expect((await infer(jwt)).status).toBe(200) }, { timeoutMs: 10_000, intervalMs: 100 })
  })
})
