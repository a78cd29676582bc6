import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBatch } from '../../gateway/batch/run.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { TOKEN } from '../support/redis-fleet.js'
import { FRAUD_REQUEST } from '../support/oip.js'
import { jobOptions, makeRows, readNdjson, writeNdjson } from '../support/batch-files.js'

// A batch job keyed by the user column, against a 30% canary sticky on
// x-user-id, scores each user's rows on the version a real-time request with
// that user's x-user-id gets.

const ROWS = 4_000
const USERS = 200
let v1: ModelProcess
let v2: ModelProcess
let gw: GatewayProcess
let dir: string

beforeAll(async () => {
  [v1, v2] = await Promise.all([startModel({ version: 'v1' }), startModel({ version: 'v2' })])
  gw = await startGatewayProcess({
    admin: { tokens: [{ name: 'batch', token: TOKEN, role: 'read' }] },
    models: {
      fraud: {
        sticky: { header: 'x-user-id' },
        versions: { v1: { replicas: [v1.url] }, v2: { replicas: [v2.url] } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 3000 },
        healthCheck: { enabled: false }
      }
    }
  })
  dir = await mkdtemp(join(tmpdir(), 'batch-canary-'))
  await writeNdjson(join(dir, 'in.ndjson'), makeRows(ROWS, USERS))
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all([v1?.stop(), v2?.stop()])
  await rm(dir, { recursive: true, force: true })
})

async function realTimeVersion (user: string): Promise<string> {
  const res = await request(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': user }, body: FRAUD_REQUEST })
  await res.body.text()
  expect(res.statusCode).toBe(200)
  return res.headers['x-model-version'] as string
}

describe('batch job keyed by a user column on a sticky canary', () => {
  it('scores every user on the version real-time requests with that x-user-id get', async () => {
    const summary = await runBatch(jobOptions(dir, gw.url, { keyColumn: 'user', keep: ['id', 'user'], adminUrl: gw.adminUrl!, token: TOKEN }))
    expect(summary).toMatchObject({ rows: ROWS, rejects: 0, complete: true })
    expect(Object.keys(summary.versions).sort()).toEqual(['v1', 'v2'])

    const out = await readNdjson<{ user: string, model_version: string }>(join(dir, 'out.ndjson'))
    const batchVersion = new Map<string, Set<string>>()
    for (const r of out) batchVersion.set(r.user, (batchVersion.get(r.user) ?? new Set()).add(r.model_version))
    expect(batchVersion.size).toBeGreaterThan(USERS * 0.9)

    const differing: string[] = []
    for (const [user, versions] of batchVersion) {
      const live = await realTimeVersion(user)
      if (versions.size !== 1 || !versions.has(live)) differing.push(`${user}: batch ${[...versions].join('+')}, real time ${live}`)
    }
    expect(differing).toEqual([])
  })
})
