import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfigFile, parseConfig } from '../../gateway/config/load.js'
import { hashKey } from '../../gateway/state/access-state.js'

// The access, TLS and redaction parts of a config: defaults, and errors that
// name the path and never quote a key or secret.

const FILE = 'gateway.json'
const KEY = 'a-config-key-0123456789abcdef'
const MODELS = { fraud: { versions: { v1: { replicas: ['http://127.0.0.1:9101'] } }, release: { strategy: 'canary', stable: 'v1' } } }

function parse (extra: Record<string, unknown>, models: Record<string, unknown> = MODELS): ReturnType<typeof parseConfig> {
  return parseConfig(JSON.stringify({ ...extra, models }), FILE, {} as never, () => undefined)
}

function errorOf (extra: Record<string, unknown>, models?: Record<string, unknown>): ConfigError {
  try {
    parse(extra, models)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('the config was accepted')
}

describe('config: access', () => {
  it('is off by default, with no applications', () => {
    expect(parse({}).access).toEqual({ enabled: false, file: undefined, applications: {}, jwt: null })
  })

  it('hashes a key given in the clear and keeps no trace of it; a quota gets a burst of one second', () => {
    const cfg = parse({ access: { enabled: true, applications: { checkout: { models: ['fraud'], quota: { rps: 50 }, keys: [{ name: 'main', key: KEY }] } } } })
    const app = cfg.access.applications.checkout!
    expect(app.keys.map(k => [k.name, k.hash, k.id])).toEqual([['main', hashKey(KEY), hashKey(KEY).slice(7, 15)]])
    expect(app.quota).toEqual({ rps: 50, burst: 50 })
    expect(JSON.stringify(cfg)).not.toContain(KEY)
  })

  it.each([
    ['a key given both ways', { checkout: { models: ['fraud'], keys: [{ name: 'main', key: KEY, hash: hashKey(KEY) }] } }, 'access.applications.checkout.keys[0]', 'either key or hash'],
    ['one key name twice', { checkout: { models: ['fraud'], keys: [{ name: 'main', key: KEY }, { name: 'main', key: `${KEY}x` }] } }, 'access.applications.checkout.keys[1].name', 'used twice'],
    ['one key in two applications', { a: { models: ['fraud'], keys: [{ name: 'k', key: KEY }] }, b: { models: ['fraud'], keys: [{ name: 'k', key: KEY }] } }, 'access.applications.b.keys[0]', 'also given to application "a"'],
    ['a model the config lacks', { checkout: { models: ['churn'] } }, 'access.applications.checkout.models[0]', 'does not serve'],
    ['versions of a model out of scope', { checkout: { models: ['fraud'], versions: { churn: ['v1'] } } }, 'access.applications.checkout.versions.churn', 'not in the application\'s models'],
    ['a quota of a model out of scope', { checkout: { models: ['fraud'], quotas: { churn: { rps: 1 } } } }, 'access.applications.checkout.quotas.churn', 'not in the application\'s models']
  ])('refuses %s, naming the path', (_what, applications, path, reason) => {
    const e = errorOf({ access: { enabled: true, applications } })
    expect(e.path).toBe(path)
    expect(e.reason).toContain(reason)
    expect(e.message).not.toContain(KEY)
  })

  it('refuses a key shorter than 16 characters without quoting it', () => {
    const e = errorOf({ access: { applications: { checkout: { models: ['fraud'], keys: [{ name: 'main', key: 'short-secret' }] } } } })
    expect(e.path).toBe('access.applications.checkout.keys[0].key')
    expect(e.message).not.toContain('short-secret')
  })

  it.each([
    ['two key sources', { audience: 'gw', jwksUrl: 'https://idp/jwks', secret: 's'.repeat(32) }, 'access.jwt', 'exactly one key source'],
    ['an asymmetric algorithm with a secret', { audience: 'gw', secret: 's'.repeat(32), algorithms: ['RS256'] }, 'access.jwt.algorithms', 'HS256, HS384 or HS512 only'],
    ['HS256 with a JWKS', { audience: 'gw', jwksUrl: 'https://idp/jwks', algorithms: ['HS256'] }, 'access.jwt.algorithms', 'needs a shared secret']
  ])('refuses a JWT config with %s', (_what, jwt, path, reason) => {
    const e = errorOf({ access: { jwt } })
    expect(e.path).toBe(path)
    expect(e.reason).toContain(reason)
  })

  it('JWT defaults: the application from "sub", asymmetric algorithms for a JWKS, HS256 for a secret', () => {
    expect(parse({ access: { jwt: { audience: 'gw', jwksUrl: 'https://idp/jwks' } } }).access.jwt).toMatchObject({ audience: ['gw'], applicationClaim: 'sub', algorithms: expect.arrayContaining(['RS256', 'ES256']), refreshMs: 600_000 })
    expect(parse({ access: { jwt: { audience: 'gw', secret: 's'.repeat(32) } } }).access.jwt!.algorithms).toEqual(['HS256'])
  })
})

describe('config: redaction and TLS', () => {
  it('a model that hashes fields needs logging.hashKey', () => {
    const e = errorOf({}, { fraud: { ...MODELS.fraud, redact: { hash: ['features'] } } })
    expect(e.path).toBe('logging.hashKey')
    expect(e.reason).toContain('model "fraud" hashes fields')
  })

  it('a replica client certificate without its key is refused naming the model', () => {
    const e = errorOf({}, { fraud: { ...MODELS.fraud, tls: { cert: '/tls/client.crt' } } })
    expect(e.path).toBe('models.fraud.tls')
    expect(e.reason).toContain('cert and key go together')
  })

  it('a replica CA file that cannot be read is refused at load, naming models.<m>.tls.ca and the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'config-tls-'))
    const file = join(dir, 'gateway.json')
    await writeFile(file, JSON.stringify({ models: { fraud: { ...MODELS.fraud, tls: { ca: join(dir, 'missing-ca.pem') } } } }))
    const err = await loadConfigFile(file, {} as never).then(() => null, (e: unknown) => e as ConfigError)
    await rm(dir, { recursive: true, force: true })
    expect(err).toBeInstanceOf(ConfigError)
    expect(err!.path).toBe('models.fraud.tls.ca')
    expect(err!.reason).toContain('missing-ca.pem')
    expect(err!.reason).toContain('ENOENT')
  })
})
