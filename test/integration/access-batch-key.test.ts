// A batch job against a gateway with access control on: with the API key of
// an application that has the batch right (MODEL_GATEWAY_API_KEY for the CLI),
// every row is scored and logged as batch traffic of that application; without
// a key the job stops at its first call with the gateway's 401.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBatch } from '../../gateway/batch/run.js'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { jobOptions, makeRows, writeNdjson } from '../support/batch-files.js'

const ROWS = 500
const KEY = 'nightly-batch-key-0123456789abcd'
let model: ModelProcess
let gw: GatewayProcess
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batch-key-'))
  await writeNdjson(join(dir, 'in.ndjson'), makeRows(ROWS))
  model = await startModel({ version: 'v1' })
  gw = await startGatewayProcess({
    logging: { sink: 'file', file: join(dir, 'scoring.ndjson') },
    access: { enabled: true, applications: { nightly: { models: ['fraud'], rights: ['batch'], keys: [{ name: 'job', key: KEY }] } } },
    models: { fraud: { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, sampling: { rate: 1 } } }
  })
})
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('batch scoring with an API key', () => {
  it('without a key the job stops at its metadata call, naming the 401', async () => {
    const err = await runBatch(jobOptions(dir, gw.url, { output: join(dir, 'nokey.ndjson') })).then(() => null, (e: unknown) => e as Error)
    expect(err?.message).toMatch(/answered 401.*GW_UNAUTHORIZED/)
  })

  it('with the key of an application with the batch right, every row is scored and logged as its batch traffic', async () => {
    const summary = await runBatch(jobOptions(dir, gw.url, { batchSize: 100, apiKey: KEY }))
    expect(summary).toMatchObject({ rows: ROWS, requests: ROWS / 100 })
    expect((await gw.stop()).code).toBe(0)
    const records = (await readFile(join(dir, 'scoring.ndjson'), 'utf8')).trim().split('\n')
      .map(l => JSON.parse(l) as { kind: string, row: { traffic: string, application: string, status: number } })
      .filter(l => l.kind === 'records' && l.row.status === 200).map(l => l.row)
    // The job's inference calls (its metadata read scores nothing and is not recorded).
    expect(records).toHaveLength(summary.requests)
    expect(new Set(records.map(r => `${r.traffic}/${r.application}`))).toEqual(new Set(['batch/nightly']))
  })
})
