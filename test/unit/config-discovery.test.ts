import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../../gateway/config/load.js'

// The discovery part of the config: a version's replicas come from static URLs,
// a DNS name, or both; bad shapes are refused naming the file, path and reason.

const FILE = '/etc/model-gateway/gateway.yaml'
const noEnv = (): string | undefined => undefined

function cfg (v2: string, top = ''): string {
  return `${top}models:
  fraud:
    versions:
      v1:
        replicas: [http://127.0.0.1:9101]
      v2:
${v2}
    release: { strategy: canary, stable: v1, canary: v2, canaryWeight: 100 }
`
}

function errorOf (text: string): ConfigError {
  try {
    parseConfig(text, FILE, {} as never, noEnv)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('parseConfig accepted the config')
}

describe('discovery config', () => {
  it('resolves a DNS version with defaults (http, no path, A and AAAA) and an empty static list in the initial state', () => {
    const c = parseConfig(cfg('        discovery: { dns: fraud-v2.models.svc.cluster.local, port: 8000 }'), FILE, {} as never, noEnv)
    expect(c.models.fraud!.discovery).toEqual({ v2: { dns: 'fraud-v2.models.svc.cluster.local', port: 8000, scheme: 'http', path: '', family: 'any' } })
    expect(c.initialState.models.fraud!.versions.v2).toEqual({ replicas: [] })
    expect(c.discovery).toEqual({ resolver: undefined, minIntervalMs: 1_000, maxIntervalMs: 30_000, timeoutMs: 2_000 })
  })

  it('keeps the scheme, path (without a trailing slash) and family given, and the resolver and bounds', () => {
    const c = parseConfig(cfg('        discovery: { dns: fraud-v2, port: 8443, scheme: https, path: /fraud/, family: 4 }', 'discovery: { resolver: "127.0.0.1:5353", minIntervalMs: 200, maxIntervalMs: 5000 }\n'), FILE, {} as never, noEnv)
    expect(c.models.fraud!.discovery.v2).toEqual({ dns: 'fraud-v2', port: 8443, scheme: 'https', path: '/fraud', family: 4 })
    expect(c.discovery).toMatchObject({ resolver: '127.0.0.1:5353', minIntervalMs: 200, maxIntervalMs: 5000 })
  })

  it.each([
    ['        {}', 'models.fraud.versions.v2', 'needs replicas (a list of base URLs) or discovery (a DNS name and port)'],
    ['        discovery: { dns: fraud-v2 }', 'models.fraud.versions.v2.discovery.port', 'expected required property'],
    ['        discovery: { dns: "fraud v2", port: 8000 }', 'models.fraud.versions.v2.discovery.dns', 'got "fraud v2"'],
    ['        discovery: { dns: fraud-v2, port: 0 }', 'models.fraud.versions.v2.discovery.port', 'expected integer to be greater or equal to 1; got 0'],
    ['        discovery: { dns: fraud-v2, port: 8000, scheme: ftp }', 'models.fraud.versions.v2.discovery.scheme', 'got "ftp"'],
    ['        discovery: { dns: fraud-v2, port: 8000, srv: true }', 'models.fraud.versions.v2.discovery.srv', 'unknown key (not in the schema)']
  ])('refuses version %j at %s', (v2, path, reason) => {
    const e = errorOf(cfg(v2))
    expect(e.path).toBe(path)
    expect(e.reason).toContain(reason)
  })

  it.each([
    ['discovery: { resolver: dns.example }\n', 'discovery.resolver', 'got "dns.example"'],
    ['discovery: { minIntervalMs: 5000, maxIntervalMs: 1000 }\n', 'discovery.maxIntervalMs', '1000 is below discovery.minIntervalMs (5000)']
  ])('refuses top-level %j at %s', (top, path, reason) => {
    const e = errorOf(cfg('        replicas: [http://127.0.0.1:9201]', top))
    expect(e.path).toBe(path)
    expect(e.reason).toContain(reason)
  })
})
