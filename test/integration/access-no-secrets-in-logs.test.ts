// No API key, token or secret ever appears in the gateway's log: at debug
// level, a gateway is called with good and bad keys and JWTs, its keys are
// added, rotated and revoked through the admin API, and its config is reloaded;
// then every secret it saw is looked for in everything it wrote. A config whose
// key is invalid is refused without quoting the key.
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { FRAUD_REQUEST } from '../support/oip.js'

const ADMIN_TOKEN = 'logs-admin-token-0123456789'
const CONFIG_KEY = 'config-key-value-0123456789abcdef'
const HS_SECRET = 'hs256-shared-secret-0123456789abcdef-xyz'
const WRONG_KEY = 'mgw_a-wrong-but-plausible-key-0123456789'
let model: ModelProcess
let gw: GatewayProcess
const seen: string[] = [ADMIN_TOKEN, CONFIG_KEY, HS_SECRET, WRONG_KEY]

function config (applicationKey: string): object {
  return {
    admin: { tokens: [{ name: 'ops', token: ADMIN_TOKEN, role: 'admin' }] },
    access: {
      enabled: true,
      applications: { checkout: { models: ['fraud'], keys: [{ name: 'main', key: applicationKey }] } },
      jwt: { secret: HS_SECRET, audience: 'model-gateway' }
    },
    models: { fraud: { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } } }
  }
}

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
  gw = await startGatewayProcess(config(CONFIG_KEY), { env: { LOG_LEVEL: 'debug' } })
})
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
})

async function infer (credential: string): Promise<number> {
  const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` }, body: FRAUD_REQUEST })
  await res.arrayBuffer()
  return res.status
}

async function admin (method: string, path: string, body?: object): Promise<{ status: number, json: Record<string, unknown> }> {
  const res = await fetch(`${gw.adminUrl!}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: res.status, json: await res.json() as Record<string, unknown> }
}

async function jwt (secret: string, expSecondsFromNow: number): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('checkout').setAudience('model-gateway').setExpirationTime(now + expSecondsFromNow).sign(new TextEncoder().encode(secret))
}

describe('secrets stay out of the log', () => {
  it('after keys, tokens, admin calls and a reload at debug level, the log holds none of the secrets', async () => {
    expect(await infer(CONFIG_KEY)).toBe(200)
    expect(await infer(WRONG_KEY)).toBe(401)
    const good = await jwt(HS_SECRET, 300)
    const forged = await jwt('another-secret-0123456789abcdef-0123', 300)
    const expired = await jwt(HS_SECRET, -600)
    seen.push(good, forged, expired, good.split('.')[2]!, forged.split('.')[2]!)
    expect([await infer(good), await infer(forged), await infer(expired)]).toEqual([200, 401, 401])

    const added = await admin('POST', '/admin/applications/checkout/keys', { name: 'second' })
    expect(added.status).toBe(201)
    const rotated = await admin('POST', '/admin/applications/checkout/keys/second/rotate', { graceSeconds: 60 })
    expect(rotated.status).toBe(201)
    seen.push(added.json.key as string, rotated.json.key as string)
    expect([await infer(added.json.key as string), await infer(rotated.json.key as string)]).toEqual([200, 200])
    expect((await admin('DELETE', '/admin/applications/checkout/keys/second')).status).toBe(200)
    expect(await infer(rotated.json.key as string)).toBe(401)
    expect((await admin('POST', '/admin/reload', {})).status).toBe(200)
    expect((await admin('GET', '/admin/access/audit')).status).toBe(200)
    // An admin call with a wrong token is logged as refused.
    expect((await fetch(`${gw.adminUrl!}/admin/applications`, { headers: { authorization: `Bearer ${CONFIG_KEY}` } })).status).toBe(401)

    await gw.stop()
    const log = gw.stderr()
    expect(log).toContain('access state changed')
    expect(log).toContain('admin call refused')
    expect(log).toContain('data-plane call refused')
    for (const secret of seen) expect(log.includes(secret), `a secret of ${secret.length} characters is in the log`).toBe(false)
  })

  it('a config with an invalid key is refused naming the path, without quoting the key', async () => {
    const bad = 'short-key-XYZ'
    const err = await startGatewayProcess(config(bad)).then(async (g) => { await g.stop(); return null }, (e: unknown) => e as Error)
    expect(err?.message).toContain('access.applications.checkout.keys[0].key')
    expect(err?.message).not.toContain(bad)
  })
})
