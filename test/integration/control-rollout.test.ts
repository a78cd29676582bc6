// A whole release done with the CLI under steady scoring load: canary 10% ->
// 50% -> 100%, rollback, then a blue-green switch and its rollback. Not one
// request fails, and sticky users move only when the shift is meant to move them.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { startLoad, type RunningLoad } from '../support/load.js'
import { FRAUD_REQUEST } from '../support/oip.js'

const run = promisify(execFile)
const TOKEN = 'control-admin-token-0123456789'
const CLI = join(process.cwd(), 'dist', 'gateway', 'cli', 'main.js')
const USERS = Array.from({ length: 200 }, (_, i) => `user-${i}`)
const LOAD_MAX_REQUESTS = 30_000
const LOAD_MAX_MS = 60_000
const LOAD_CONCURRENCY = 4

async function cli (gw: GatewayProcess, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--admin-url', gw.adminUrl!], { env: { ...process.env, MODEL_GATEWAY_TOKEN: TOKEN } })
  return stdout
}

async function score (gw: GatewayProcess, model: string, user: string, version?: string): Promise<string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-user-id': user }
  if (version !== undefined) headers['x-model-version'] = version
  const res = await request(`${gw.url}/v2/models/${model}/infer`, { method: 'POST', headers, body: FRAUD_REQUEST })
  const text = await res.body.text()
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${text}`)
  return String(res.headers['x-model-version'])
}

async function assignment (gw: GatewayProcess, model: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const u of USERS) out.set(u, await score(gw, model, u))
  return out
}

function usersOn (m: Map<string, string>, version: string): string[] {
  return [...m].filter(([, v]) => v === version).map(([u]) => u)
}

/** Both models, alternating, each request as one of the users. */
function scoringLoad (gw: GatewayProcess): RunningLoad {
  return startLoad({
    url: gw.url,
    concurrency: LOAD_CONCURRENCY,
    maxRequests: LOAD_MAX_REQUESTS,
    maxMs: LOAD_MAX_MS,
    request: i => ({ path: `/v2/models/${i % 2 === 0 ? 'fraud' : 'scorer'}/infer`, headers: { 'x-user-id': USERS[i % USERS.length]! } })
  })
}

describe('control plane: a release under load, with the CLI', () => {
  const models: ModelProcess[] = []
  let gw: GatewayProcess | undefined

  beforeAll(async () => {
    models.push(
      await startModel({ version: 'v1' }), await startModel({ version: 'v1' }), await startModel({ version: 'v2' }), await startModel({ version: 'v2' }),
      await startModel({ version: 'blue', name: 'scorer' }), await startModel({ version: 'green', name: 'scorer' })
    )
    const [v1a, v1b, v2a, v2b, blue, green] = models.map(m => m.url)
    gw = await startGatewayProcess({
      admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
      models: {
        fraud: {
          sticky: { header: 'x-user-id' },
          versions: { v1: { replicas: [v1a, v1b] }, v2: { replicas: [v2a, v2b] } },
          release: { strategy: 'canary', stable: 'v1' },
          healthCheck: { enabled: false }
        },
        scorer: {
          sticky: { header: 'x-user-id' },
          allowVersionHeader: true,
          versions: { blue: { replicas: [blue] }, green: { replicas: [green] } },
          release: { strategy: 'blue-green', active: 'blue', preview: 'green' },
          healthCheck: { enabled: false }
        }
      }
    }, { env: { LOG_LEVEL: 'warn' } })
  })

  afterAll(async () => {
    await gw?.stop()
    await Promise.all(models.map(m => m.stop()))
  })

  it('canary 10% -> 50% -> 100%, rollback, blue-green switch and back: zero failed requests, sticky users kept', async () => {
    const g = gw!
    const load = scoringLoad(g)
    try {
      expect(usersOn(await assignment(g, 'fraud'), 'v1')).toHaveLength(USERS.length)

      expect(await cli(g, 'canary', 'fraud', 'v2', '10')).toMatch(/canary v2 at 10%; revision \d+/)
      const at10 = await assignment(g, 'fraud')
      const canary10 = usersOn(at10, 'v2')
      expect(canary10.length).toBeGreaterThan(10)
      expect(canary10.length).toBeLessThan(60)

      expect(await cli(g, 'set-weights', 'fraud', 'v1=50', 'v2=50')).toContain('split set')
      const at50 = await assignment(g, 'fraud')
      // Users already in the canary stay there as it grows.
      for (const u of canary10) expect(at50.get(u)).toBe('v2')
      expect(usersOn(at50, 'v2').length).toBeGreaterThan(canary10.length)

      await cli(g, 'set-weights', 'fraud', 'v1=0', 'v2=100')
      expect(usersOn(await assignment(g, 'fraud'), 'v2')).toHaveLength(USERS.length)

      expect(await cli(g, 'rollback', 'fraud')).toContain('rolled back to v1')
      expect(usersOn(await assignment(g, 'fraud'), 'v1')).toHaveLength(USERS.length)

      // Blue-green: all on blue, the preview reachable by explicit selection.
      expect(usersOn(await assignment(g, 'scorer'), 'blue')).toHaveLength(USERS.length)
      expect(await score(g, 'scorer', 'someone', 'green')).toBe('green')
      expect(await cli(g, 'switch', 'scorer')).toContain('green is active')
      expect(usersOn(await assignment(g, 'scorer'), 'green')).toHaveLength(USERS.length)
      // The old active stays warm as the preview.
      expect(await score(g, 'scorer', 'someone', 'blue')).toBe('blue')
      expect(await cli(g, 'rollback', 'scorer')).toContain('rolled back to blue')
      expect(usersOn(await assignment(g, 'scorer'), 'blue')).toHaveLength(USERS.length)

      const status = JSON.parse(await cli(g, 'status', '--json')) as { revision: number, models: Array<{ name: string, stable: string }> }
      expect(status.revision).toBe(7)
      expect(status.models.map(m => [m.name, m.stable])).toEqual([['fraud', 'v1'], ['scorer', 'blue']])
      const table = await cli(g, 'status')
      expect(table).toMatch(/^MODEL\s+VERSION\s+WEIGHT\s+ROLE\s+HEALTHY/)
      expect(table).toMatch(/fraud\s+v1\s+100%\s+stable\s+2\/2/)
      expect(table).toMatch(/scorer\s+green\s+0%\s+preview\s+1\/1/)
      const audit = await cli(g, 'audit', '--limit', '3')
      expect(audit.split('\n').filter(l => l.includes('ops'))).toHaveLength(3)
    } finally {
      const { sent, failed, failures } = await load.stop()
      console.log(`scoring requests during the release: ${sent} sent, ${failed} failed`)
      expect(failures).toEqual([])
      expect(sent).toBeGreaterThan(100)
    }
  }, 90_000)
})
