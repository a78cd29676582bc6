// The CLI against a real gateway: clear errors for an unreachable admin API, a
// missing token and a stale revision; usage errors exit 2 without a request.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { closedPort } from '../support/ports.js'

const TOKEN = 'control-admin-token-0123456789'
const CLI = join(process.cwd(), 'dist', 'gateway', 'cli', 'main.js')

function cli (args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const childEnv: Record<string, string | undefined> = { ...process.env, MODEL_GATEWAY_TOKEN: undefined, MODEL_GATEWAY_ADMIN_URL: undefined, ...env }
    execFile(process.execPath, [CLI, ...args], { env: childEnv as NodeJS.ProcessEnv }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : (err as { code?: number }).code ?? -1, stdout, stderr })
    })
  })
}

describe('CLI errors', () => {
  let gw: GatewayProcess | undefined

  beforeAll(async () => {
    gw = await startGatewayProcess({
      admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
      models: {
        fraud: {
          versions: { v1: { replicas: ['http://127.0.0.1:9'] }, v2: { replicas: ['http://127.0.0.1:10'] } },
          release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 1000 },
          healthCheck: { enabled: false }
        }
      }
    }, { env: { LOG_LEVEL: 'warn' } })
  })

  afterAll(async () => {
    await gw?.stop()
  })

  it('exits 1 saying the admin API cannot be reached (ECONNREFUSED) at the URL given', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const r = await cli(['status', '--admin-url', url, '--token', TOKEN])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`cannot reach the admin API at ${url}: ECONNREFUSED`)
  })

  it('without a token, passes on the server\'s 401 GW_UNAUTHORIZED with a hint naming MODEL_GATEWAY_TOKEN; with it in the environment, status works', async () => {
    const r = await cli(['status', '--admin-url', gw!.adminUrl!])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/401 GW_UNAUTHORIZED: .*MODEL_GATEWAY_TOKEN/)
    const ok = await cli(['status', '--json'], { MODEL_GATEWAY_ADMIN_URL: gw!.adminUrl!, MODEL_GATEWAY_TOKEN: TOKEN })
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ revision: expect.any(Number), models: [{ name: 'fraud', stable: 'v1' }] })
  })

  it('refuses a stale --revision: exit 1 with 409 GW_CONFLICT and the server\'s message', async () => {
    const env = { MODEL_GATEWAY_ADMIN_URL: gw!.adminUrl!, MODEL_GATEWAY_TOKEN: TOKEN }
    const { revision } = JSON.parse((await cli(['status', '--json'], env)).stdout) as { revision: number }
    expect((await cli(['canary', 'fraud', 'v2', '20', '--revision', String(revision)], env)).code).toBe(0)
    const r = await cli(['set-weights', 'fraud', 'v1=50', 'v2=50', '--revision', String(revision)], env)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`409 GW_CONFLICT: revision ${revision} is stale: the routing state is at revision ${revision + 1}`)
  })

  it('exits 2 on bad usage (naming what is wrong) without asking the server', async () => {
    const r = await cli(['set-weights', 'fraud', 'v1=50', 'v2=40'], { MODEL_GATEWAY_ADMIN_URL: 'http://127.0.0.1:1' })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('weights add up to 90%')
    expect((await cli(['canary', 'fraud'])).code).toBe(2)
  })
})
