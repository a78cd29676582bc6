import { describe, expect, it } from 'vitest'
import { startGatewayProcess } from '../support/gateway-process.js'

// A gateway process given a bad config exits before serving, and says which
// file, which path and why on stderr; admin tokens stay out of it.

const TOKEN = 'do-not-print-this-token-0123456789'

describe('gateway started with an invalid config', () => {
  it('exits with the file, the path and the reason (YAML text)', async () => {
    const yaml = `models:
  fraud:
    versions:
      v1:
        replicas: [http://127.0.0.1:9]
        replicaz: 2
    release: { strategy: canary, stable: v1 }
`
    const err = await startGatewayProcess(yaml).then(() => null, (e: unknown) => e as Error)
    expect(err).toBeInstanceOf(Error)
    expect(err!.message).toMatch(/exited \(code 2/)
    expect(err!.message).toMatch(/invalid config: .*gateway\.yaml: models\.fraud\.versions\.v1\.replicaz: unknown key/)
  })

  it('exits without printing an admin token (JSON object)', async () => {
    const err = await startGatewayProcess({
      admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'root' }] },
      models: { fraud: { versions: { v1: { replicas: ['http://127.0.0.1:9'] } }, release: { strategy: 'canary', stable: 'v1' } } }
    }).then(() => null, (e: unknown) => e as Error)
    expect(err).toBeInstanceOf(Error)
    expect(err!.message).toMatch(/gateway\.json: admin\.tokens\[0\]\.role/)
    expect(err!.message).not.toContain(TOKEN)
  })
})
