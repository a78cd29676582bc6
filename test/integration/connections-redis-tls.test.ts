// The gateway's state store over TLS with an ACL user, against a private Redis
// that serves TLS only and has its default user off (scripts/services/secure.ts).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeCerts, startSecureRedis, type Certs, type SecureServer } from '../../scripts/services/secure.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { gatewayMainPath, startGatewayProcess } from '../support/gateway-process.js'

const PASSWORD = 'redis-Pw-2468ace0'
const WRONG = 'wrong-Pw-97531fdb'
const TOKEN = 'redis-tls-token-0123456789'

let dir: string
let certs: Certs
let redis: SecureServer
let model: ModelProcess
const keyPrefix = `tls-${Date.now().toString(36)}`

function config (password: string): object {
  return {
    gateway: { host: '127.0.0.1' },
    admin: { host: '127.0.0.1', tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    state: { store: 'redis', redisUrl: redis.address, redisUsername: 'gateway', redisPassword: password, redisTls: { caFile: certs.ca }, keyPrefix },
    models: { fraud: { versions: { v1: { replicas: [model.url] }, v2: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 1000 }, healthCheck: { enabled: false } } }
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mg-redis-tls-'))
  certs = makeCerts(join(dir, 'certs'))
  redis = await startSecureRedis(dir, certs, 'gateway', PASSWORD)
  model = await startModel({ version: 'v1' })
}, 60_000)

afterAll(async () => {
  await model?.stop()
  await redis?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('state store over rediss:// with an ACL user', () => {
  it('stores an admin change in Redis, read back over TLS with the same user', async () => {
    const gw = await startGatewayProcess(config(PASSWORD), { env: { LOG_LEVEL: 'debug' } })
    try {
      const res = await fetch(`${gw.adminUrl}/admin/models/fraud/canary`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ version: 'v2', weight: 2500 })
      })
      expect(res.status).toBe(200)
      const client = new Redis(redis.address, { username: 'gateway', password: PASSWORD, tls: { ca: readFileSync(certs.ca) }, lazyConnect: true })
      try {
        await client.connect()
        const stored = JSON.parse((await client.hget(`${keyPrefix}:state`, 'state'))!) as { models: { fraud: { split: Array<{ version: string, weight: number }> } } }
        expect(stored.models.fraud.split).toEqual([{ version: 'v2', weight: 2500 }, { version: 'v1', weight: 7500 }])
      } finally {
        client.disconnect()
      }
      expect(gw.stderr()).not.toContain(PASSWORD)
    } finally {
      await gw.stop()
    }
  })

  it('with a wrong password the gateway exits 1 with one line naming Redis and what to check, no stack and no password', () => {
    const file = join(dir, 'wrong.json')
    writeFileSync(file, JSON.stringify(config(WRONG)))
    const r = spawnSync(process.execPath, [gatewayMainPath(), '--config', file, '--port', '0', '--admin-port', '0'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, LOG_LEVEL: 'warn' } })
    expect(r.status).toBe(1)
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(new RegExp(`^model-gateway: cannot load the routing state: Redis at ${redis.address.replace(/[.]/g, '\\.')} refused the credentials \\(WRONGPASS [^)]*\\); check REDIS_USERNAME / REDIS_PASSWORD \\(or state\\.redisUsername / redisPassword\\)$`))
    expect(r.stderr).not.toContain(WRONG)
  }, 40_000)
})
