import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { OipGrpcClient } from '../support/grpc-client.js'

// gRPC calls in the scoring log (file sink, every request sampled): exact
// rollups, and records whose bodies are the REST protocol's JSON decoded from
// the protobuf messages; tensors sent as raw_input_contents are recorded by
// size only.

const TYPED = 30
const RAW = 10
let model: ModelProcess
let gw: GatewayProcess
let dir: string
let lines: Array<{ kind: string, row: Record<string, unknown> }>

beforeAll(async () => {
  model = await startModel({ version: 'v1', grpc: true })
  dir = await mkdtemp(join(tmpdir(), 'grpc-log-'))
  const file = join(dir, 'scoring.ndjson')
  gw = await startGatewayProcess({
    grpc: { enabled: true },
    logging: { sink: 'file', file },
    models: { fraud: { versions: { v1: { replicas: [model.grpcUrl!] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, sampling: { rate: 1, captureBodies: true, maxBodyBytes: 4096 } } }
  })
  const client = new OipGrpcClient(gw.grpcTarget!)
  try {
    for (let i = 0; i < TYPED; i++) {
      const a = await client.call('ModelInfer', { modelName: 'fraud', id: `typed-${i}`, inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 4], contents: { fp64Contents: [620, 200, 7, i] } }] })
      expect(a.ok).toBe(true)
    }
    const raw = Buffer.alloc(32)
    for (let k = 0; k < 4; k++) raw.writeDoubleLE(100 + k, k * 8)
    for (let i = 0; i < RAW; i++) {
      const a = await client.call('ModelInfer', { modelName: 'fraud', id: `raw-${i}`, inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 4] }], rawInputContents: [raw] })
      expect(a.ok).toBe(true)
    }
  } finally {
    client.close()
  }
  expect((await gw.stop()).code).toBe(0)
  lines = (await readFile(file, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as { kind: string, row: Record<string, unknown> })
}, 60_000)
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
  await rm(dir, { recursive: true, force: true })
})

const record = (id: string): Record<string, unknown> => lines.find(l => l.kind === 'records' && l.row.request_id === id)!.row

describe('gRPC calls in the scoring log', () => {
  it('every call is in the rollups once, as 2xx', () => {
    const cells = new Map<string, { seq: number, n: number }>()
    for (const l of lines.filter(x => x.kind === 'rollups')) {
      const k = `${l.row.version}/${l.row.minute}/${l.row.status_class}`
      if ((cells.get(k)?.seq ?? -1) < (l.row.flush_seq as number)) cells.set(k, { seq: l.row.flush_seq as number, n: l.row.requests as number })
    }
    expect([...cells.entries()].map(([k, c]) => [k.split('/')[2], c.n]).reduce((a, [cls, n]) => ({ ...a, [cls as string]: ((a as Record<string, number>)[cls as string] ?? 0) + (n as number) }), {})).toEqual({ 2: TYPED + RAW })
  })

  it('a call with typed contents is recorded with its tensors as REST JSON, and the answer\'s outputs', () => {
    const r = record('typed-7')
    expect(JSON.parse(r.request_body as string)).toEqual({ id: 'typed-7', inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 4], data: [620, 200, 7, 7] }] })
    expect(JSON.parse(r.response_body as string)).toMatchObject({ model_name: 'fraud', model_version: 'v1', outputs: [{ name: 'fraud_probability', datatype: 'FP64', shape: [1] }] })
    expect(r).toMatchObject({ version: 'v1', status: 200, request_binary_bytes: 0 })
  })

  it('a call with raw_input_contents is recorded without the raw bytes, their size in request_binary_bytes', () => {
    const r = record('raw-3')
    expect(JSON.parse(r.request_body as string)).toEqual({ id: 'raw-3', inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 4] }] })
    expect(r.request_binary_bytes).toBe(32)
  })
})
