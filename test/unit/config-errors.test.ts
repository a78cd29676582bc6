import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfigFile, parseConfig } from '../../gateway/config/load.js'

// Every config error names the file, the path inside it and the reason; admin
// tokens never appear in one.

const FILE = '/etc/model-gateway/gateway.yaml'
const TOKEN = 'sEcReT-admin-token-0123456789abcdef'

const noEnv = (): string | undefined => undefined
const envOf = (vars: Record<string, string>) => (name: string): string | undefined => vars[name]

function yaml (extra = '', release = '{ strategy: canary, stable: v1, canary: v2, canaryWeight: 100 }'): string {
  return `models:
  fraud:
    versions:
      v1:
        replicas: [http://127.0.0.1:9101]
      v2:
        replicas: [http://127.0.0.1:9201]
    release: ${release}
${extra}`
}

function configError (text: string, file = FILE, lookup: (name: string) => string | undefined = noEnv): ConfigError {
  try {
    parseConfig(text, file, {} as never, lookup)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    const e = err as ConfigError
    expect(e.file).toBe(file)
    expect(e.message.startsWith(`${file}: `)).toBe(true)
    expect(e.message).toContain(e.reason)
    return e
  }
  throw new Error('parseConfig accepted the config')
}

describe('config errors', () => {
  it('accepts the base config the cases start from', () => {
    const cfg = parseConfig(yaml(), FILE, {} as never, noEnv)
    expect(cfg.initialState.models.fraud!.split).toEqual([{ version: 'v2', weight: 100 }, { version: 'v1', weight: 9_900 }])
  })

  it('a replica URL that matches the pattern but does not parse (host 127.1.0.256): names the replica', () => {
    const e = configError(yaml().replace('http://127.0.0.1:9201', 'http://127.1.0.256:9201'))
    expect(e.path).toBe('models.fraud.versions.v2.replicas.0')
    expect(e.reason).toContain('127.1.0.256')
  })

  it('unknown top-level key', () => {
    const e = configError(yaml('modelz: {}'))
    expect(e.path).toBe('modelz')
    expect(e.reason).toMatch(/unknown key/)
    expect(e.message).toBe(`${FILE}: modelz: unknown key (not in the schema)`)
  })

  it('unknown nested key', () => {
    const e = configError(yaml().replace('replicas: [http://127.0.0.1:9101]', 'replicaz: [http://127.0.0.1:9101]'))
    // The missing replicas and the stray replicaz are both wrong; the first reported must name the model's version.
    expect(e.path.startsWith('models.fraud.versions.v1')).toBe(true)
    const e2 = configError(yaml().replace('replicas: [http://127.0.0.1:9101]', 'replicas: [http://127.0.0.1:9101]\n        replicaz: 2'))
    expect(e2.path).toBe('models.fraud.versions.v1.replicaz')
    expect(e2.reason).toMatch(/unknown key/)
  })

  it('bad type', () => {
    const e = configError(yaml('', '{ strategy: canary, stable: v1, canary: v2, canaryWeight: "lots" }'))
    expect(e.path).toBe('models.fraud.release.canaryWeight')
    expect(e.reason).toMatch(/integer/)
    expect(e.reason).toContain('"lots"')
  })

  it('value out of range', () => {
    const e = configError(yaml('', '{ strategy: canary, stable: v1, canary: v2, canaryWeight: 10001 }'))
    expect(e.path).toBe('models.fraud.release.canaryWeight')
    expect(e.reason).toContain('10001')
  })

  it('release naming a missing version', () => {
    const e = configError(yaml('', '{ strategy: canary, stable: v1, canary: v3, canaryWeight: 100 }'))
    expect(e.path).toBe('models.fraud.release.canary')
    expect(e.reason).toContain('"v3"')
    expect(e.reason).toContain('v1, v2')
    const bg = configError(yaml('', '{ strategy: blue-green, active: blue, preview: v2 }'))
    expect(bg.path).toBe('models.fraud.release.active')
    expect(bg.reason).toContain('"blue"')
  })

  it('split weights not adding up to 10000', () => {
    const e = configError(yaml('', '{ strategy: split, weights: { v1: 6000, v2: 3000 } }'))
    expect(e.path).toBe('models.fraud.release.weights')
    expect(e.reason).toContain('9000')
    expect(e.reason).toContain('10000')
  })

  it('missing environment variable', () => {
    const text = yaml(`admin:
  tokens:
    - name: ops
      token: \${OPS_TOKEN}
      role: admin`)
    const e = configError(text)
    expect(e.path).toBe('admin.tokens[0].token')
    expect(e.reason).toBe('environment variable OPS_TOKEN is not set')
    // With the variable set (or a default) the same file loads, and the token is the variable's value.
    expect(parseConfig(text, FILE, {} as never, envOf({ OPS_TOKEN: TOKEN })).admin.tokens[0]!.token).toBe(TOKEN)
    expect(parseConfig(text.replace('${OPS_TOKEN}', '${OPS_TOKEN:-fallback-token-0123456789}'), FILE, {} as never, noEnv).admin.tokens[0]!.token).toBe('fallback-token-0123456789')
  })

  it('YAML syntax error names the line', () => {
    const text = yaml().replace('      v2:\n', '      v2:\n     bad: [unclosed\n')
    const e = configError(text)
    expect(e.path).toMatch(/^line \d+$/)
    expect(e.reason).toMatch(/^not valid YAML/)
    const e2 = configError('models:\n  fraud: {\n')
    expect(e2.path).toBe('line 3')
  })

  it('JSON syntax error names the file', () => {
    const e = configError('{"models": {', '/srv/gw.json')
    expect(e.reason).toMatch(/^not valid JSON/)
  })

  it('unreadable file', async () => {
    await expect(loadConfigFile('/nonexistent/dir/gateway.yaml')).rejects.toMatchObject({
      name: 'ConfigError',
      file: '/nonexistent/dir/gateway.yaml',
      message: expect.stringContaining('ENOENT')
    })
  })

  it('sticky header and cookie together', () => {
    const e = configError(yaml('    sticky: { header: x-user-id, cookie: uid }'))
    expect(e.path).toBe('models.fraud.sticky')
  })
})

describe('admin tokens never appear in config errors', () => {
  const withToken = (tokenYaml: string): string => yaml(`admin:\n  tokens:\n${tokenYaml}`)
  const cases: Array<[string, string, string]> = [
    ['token too short', withToken(`    - { name: ops, token: ${TOKEN.slice(0, 12)}, role: admin }`), TOKEN.slice(0, 12)],
    ['bad role next to a token', withToken(`    - { name: ops, token: ${TOKEN}, role: root }`), TOKEN],
    ['misspelt token key', withToken(`    - { name: ops, tokn: ${TOKEN}, role: admin }`), TOKEN],
    ['token of the wrong type', withToken('    - { name: ops, token: 123456789012345678901234567, role: admin }'), '123456789012345678901234567'],
    ['token list of strings', withToken(`    - ${TOKEN}`), TOKEN],
    ['tokens as a string', yaml(`admin:\n  tokens: ${TOKEN}`), TOKEN],
    ['duplicate token name', withToken(`    - { name: ops, token: ${TOKEN}, role: admin }\n    - { name: ops, token: ${TOKEN}x, role: read }`), TOKEN],
    ['YAML error on the token line', withToken(`    - { name: ops, token: "${TOKEN}, role: admin }`), TOKEN]
  ]
  for (const [name, text, secret] of cases) {
    it(name, () => {
      const e = configError(text)
      expect(e.message).not.toContain(secret)
      expect(e.message).not.toContain(secret.slice(-8))
    })
  }

  it('JSON syntax error next to a token (V8 quotes the input around the error)', () => {
    const json = `{"models": {}, "admin": {"tokens": [{"name": "ops", "token": ${TOKEN}, "role": "admin"}]}}`
    const e = configError(json, '/srv/gw.json')
    expect(e.reason).toMatch(/^not valid JSON/)
    for (let i = 0; i + 6 <= TOKEN.length; i++) expect(e.message).not.toContain(TOKEN.slice(i, i + 6))
    const json2 = `{"admin": {"tokens": [{"name": "ops", "token": "${TOKEN}"}, ]}}`
    const e2 = configError(json2, '/srv/gw.json')
    for (let i = 0; i + 6 <= TOKEN.length; i++) expect(e2.message).not.toContain(TOKEN.slice(i, i + 6))
  })
})
