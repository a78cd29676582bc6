// With data-plane access control on, only an application holding the
// "outcomes" right (and the model in its scope) may report outcomes: no key is
// 401, a key of an application without the right or without the model is 403,
// and nothing of a refused body is stored; the right key's outcomes are.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { expectGatewayError } from '../support/oip.js'
import { dropIsolated, isolated, startSink, type Isolated, type SinkProcess } from './pipeline-harness.js'
import { outcomesConfig } from './outcomes-harness.js'

const LABELLER = 'labeller-key-0123456789abcdef'
const SCORER = 'scorer-key-0123456789abcdef0'
const OTHER = 'other-model-key-0123456789ab'
let model: ModelProcess | undefined
let gw: GatewayProcess | undefined
let sink: SinkProcess | undefined
let iso: Isolated | undefined

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
  iso = await isolated('oaccess')
  sink = await startSink(iso)
  const config = outcomesConfig({ iso, versions: { v1: [model.url] } }) as Record<string, unknown> & { models: Record<string, object> }
  config.models.other = { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false }, outcomes: {} }
  config.access = {
    enabled: true,
    applications: {
      labels: { models: ['fraud'], rights: ['outcomes'], keys: [{ name: 'job', key: LABELLER }] },
      checkout: { models: ['fraud'], keys: [{ name: 'main', key: SCORER }] },
      elsewhere: { models: ['other'], rights: ['outcomes'], keys: [{ name: 'main', key: OTHER }] }
    }
  }
  gw = await startGatewayProcess(config)
})
afterAll(async () => {
  await gw?.stop()
  await sink?.stop()
  await model?.stop()
  await dropIsolated(iso)
})

const post = async (id: string, key?: string): Promise<Response> => await fetch(`${gw!.url}/v2/models/fraud/outcomes`, {
  method: 'POST',
  headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
  body: JSON.stringify([{ id, label: 1 }])
})

describe('the outcome intake behind access control', () => {
  it('no key: 401 GW_UNAUTHORIZED', async () => {
    await expectGatewayError(await post('no-key'), 401, 'GW_UNAUTHORIZED')
  })

  it('a key of an application without the outcomes right: 403 naming the right', async () => {
    const body = await expectGatewayError(await post('scorer', SCORER), 403, 'GW_FORBIDDEN')
    expect(body.error).toMatch(/has no "outcomes" right/)
  })

  it('a key whose application may not use the model: 403', async () => {
    await expectGatewayError(await post('elsewhere', OTHER), 403, 'GW_FORBIDDEN')
  })

  it('the labeller\'s key: 200, and only its outcome is stored', async () => {
    const res = await post('labelled', LABELLER)
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { accepted: 1, model: 'fraud' } })
    const ids = await eventually(async () => {
      const rows = await iso!.ch.select<{ request_id: string }>(`SELECT request_id FROM ${iso!.db}.outcomes`)
      expect(rows.length).toBeGreaterThan(0)
      return rows.map(r => r.request_id)
    }, { timeoutMs: 30_000, intervalMs: 300 })
    expect(ids).toEqual(['labelled'])
  })
})
