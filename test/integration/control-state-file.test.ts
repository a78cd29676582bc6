// The memory store with a state file: a restarted gateway resumes the routing
// state operators left, not the one in its config.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import type { ModelView } from '../../gateway/cli/admin-client.js'
import { FRAUD_REQUEST } from '../support/oip.js'

const TOKEN = 'control-admin-token-0123456789'

async function admin (gw: GatewayProcess, method: 'GET' | 'POST', path: string, body?: object): Promise<{ status: number, json: { revision: number, model: ModelView } }> {
  const res = await request(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  return { status: res.statusCode, json: await res.body.json() as { revision: number, model: ModelView } }
}

describe('control plane: memory store with a state file', () => {
  const models: ModelProcess[] = []
  const gateways: GatewayProcess[] = []
  let dir = ''
  let config: object

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'control-state-'))
    models.push(await startModel({ version: 'v1' }), await startModel({ version: 'v2' }))
    config = {
      admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
      state: { store: 'memory', file: join(dir, 'state.json') },
      models: {
        fraud: {
          sticky: { header: 'x-user-id' },
          versions: { v1: { replicas: [models[0]!.url] }, v2: { replicas: [models[1]!.url] } },
          release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 1000 },
          healthCheck: { enabled: false }
        }
      }
    }
  })

  afterEach(async () => {
    await Promise.all(gateways.splice(0).map(g => g.stop()))
  })

  afterAll(async () => {
    await Promise.all(models.map(m => m.stop()))
    await rm(dir, { recursive: true, force: true })
  })

  it('resumes the last state after a restart', async () => {
    const first = await startGatewayProcess(config, { env: { LOG_LEVEL: 'warn' } })
    gateways.push(first)
    const promoted = await admin(first, 'POST', '/admin/models/fraud/promote', {})
    expect(promoted.status).toBe(200)
    expect(promoted.json.revision).toBe(2)
    await first.stop()

    const stored = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { revision: number }
    expect(stored.revision).toBe(2)

    const second = await startGatewayProcess(config, { env: { LOG_LEVEL: 'warn' } })
    gateways.push(second)
    const state = await admin(second, 'GET', '/admin/models/fraud')
    expect(state.json.revision).toBe(2)
    expect(state.json.model).toMatchObject({ stable: 'v2', candidate: null, split: [{ version: 'v2', weight: 10000 }] })
    // The data plane routes by the resumed state, not by the config's 10% canary.
    for (let i = 0; i < 20; i++) {
      const res = await request(`${second.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': `u${i}` }, body: FRAUD_REQUEST })
      await res.body.dump()
      expect(res.statusCode).toBe(200)
      expect(res.headers['x-model-version']).toBe('v2')
    }
  })

  it('refuses to start on a state file that is not a routing state, naming the file', async () => {
    await writeFile(join(dir, 'state.json'), '{"not": "a state"}')
    await expect(startGatewayProcess(config, { env: { LOG_LEVEL: 'warn' } })).rejects.toThrow(/state\.json is not a routing state/)
  })
})
