// Rollups and sampled records count scoring requests only: metadata GETs (which
// go through the same path to a version) and health or readiness calls are not
// scoring, and a model's request count must not include them.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess } from '../support/gateway-process.js'
import { FRAUD_REQUEST } from '../support/oip.js'

let model: ModelProcess
let dir: string

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
  dir = await mkdtemp(join(tmpdir(), 'scoring-only-'))
})
afterAll(async () => {
  await model?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('scoring log', () => {
  it('counts 3 scoring requests and no metadata, readiness or health call in rollups and records', async () => {
    const file = join(dir, 'log.ndjson')
    const gw = await startGatewayProcess({
      gateway: { host: '127.0.0.1' },
      admin: { enabled: false },
      logging: { sink: 'file', file, rollupFlushMs: 200, flushIntervalMs: 100 },
      models: { fraud: { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, sampling: { rate: 1 } } }
    })
    const get = async (path: string): Promise<number> => (await fetch(`${gw.url}${path}`)).status
    expect(await Promise.all([get('/v2/models/fraud'), get('/v2/models/fraud'), get('/v2/models/fraud/versions/v1'), get('/v2/models/nope')])).toEqual([200, 200, 200, 404])
    expect(await Promise.all([get('/v2/models/fraud/ready'), get('/v2/health/ready'), get('/v2/health/live')])).toEqual([200, 200, 200])
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gw.url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: FRAUD_REQUEST })
      expect(res.status).toBe(200)
    }
    expect((await gw.stop()).code).toBe(0)

    const lines = (await readFile(file, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as { kind: string, row: Record<string, unknown> })
    const latest = new Map<string, { seq: number, n: number }>()
    for (const { row } of lines.filter(l => l.kind === 'rollups')) {
      const cell = `${row.model}/${row.version}/${row.minute}/${row.status_class}/${row.traffic}`
      const seq = Number(row.flush_seq)
      if ((latest.get(cell)?.seq ?? -1) < seq) latest.set(cell, { seq, n: Number(row.requests) })
    }
    expect([...latest.entries()].map(([cell, v]) => [cell.split('/').slice(0, 2).join('/'), v.n])).toEqual([['fraud/v1', 3]])
    const records = lines.filter(l => l.kind === 'records').map(l => l.row)
    expect(records).toHaveLength(3)
    for (const r of records) expect(JSON.parse(String(r.request_body))).toEqual(JSON.parse(FRAUD_REQUEST))
  })
})
