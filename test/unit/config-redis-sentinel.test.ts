import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../../gateway/config/load.js'

// state.sentinel reaches Redis through Redis Sentinel instead of state.redisUrl;
// state.minReplicaAcks and state.controlLog come with their defaults.

const FILE = '/etc/model-gateway/gateway.yaml'
const noEnv = (): string | undefined => undefined

function config (state: string): ReturnType<typeof parseConfig> {
  return parseConfig(`state:
${state}
models:
  fraud:
    versions: { v1: { replicas: [http://127.0.0.1:9101] } }
    release: { strategy: canary, stable: v1 }
`, FILE, {} as never, noEnv)
}

describe('state: Redis Sentinel, replica acknowledgements, control log', () => {
  it('takes the sentinels as host and port, needs no redisUrl, and keeps the defaults', () => {
    const c = config('  store: redis\n  sentinel: { name: mg-primary, hosts: ["10.0.0.1:26379", "[::1]:26380"], password: p1 }\n  minReplicaAcks: 1')
    expect(c.state.sentinel).toEqual({ name: 'mg-primary', hosts: [{ host: '10.0.0.1', port: 26379 }, { host: '::1', port: 26380 }], password: 'p1', sentinelPassword: undefined })
    expect(c.state.minReplicaAcks).toBe(1)
    expect(c.state.controlLog).toEqual({ file: undefined, clickhouseUrl: undefined, clickhouseDatabase: undefined })
  })

  it('puts the embedded default\'s control log beside its state file', () => {
    expect(config('  file: /var/lib/mg/state.json').state.controlLog.file).toBe('/var/lib/mg/state.json.control.ndjson')
    expect(config('  store: memory').state.minReplicaAcks).toBe(0)
  })

  it.each([
    ['a redis store with neither redisUrl nor sentinel', '  store: redis', 'state.redisUrl'],
    ['a sentinel host without a port', '  store: redis\n  sentinel: { name: mg, hosts: ["10.0.0.1"] }', 'state.sentinel.hosts[0]'],
    ['a sentinel without a name', '  store: redis\n  sentinel: { hosts: ["10.0.0.1:26379"] }', 'state.sentinel.name'],
    ['a port beyond 65535', '  store: redis\n  sentinel: { name: mg, hosts: ["10.0.0.1:99999"] }', 'state.sentinel.hosts[0]']
  ])('refuses %s, naming the path', (_name, state, path) => {
    let err: unknown
    try {
      config(state)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).path).toBe(path)
  })
})
