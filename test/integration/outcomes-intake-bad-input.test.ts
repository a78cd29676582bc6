// Bad outcome bodies: 400 naming the item (its index in the body) and the
// field, and nothing of that body stored; oversize bodies and too many items:
// 413 with a readable message; the other refusals in the gateway's one error
// shape. The gateway stays up and takes a good body afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { eventually } from '../support/eventually.js'
import { expectGatewayError } from '../support/oip.js'
import { dropIsolated, isolated, startSink, type Isolated, type SinkProcess } from './pipeline-harness.js'
import { outcomesConfig } from './outcomes-harness.js'

let model: ModelProcess | undefined
let gw: GatewayProcess | undefined
let sink: SinkProcess | undefined
let iso: Isolated | undefined
const MAX_BYTES = 4096
const MAX_ITEMS = 10

beforeAll(async () => {
  model = await startModel({ version: 'v1' })
  iso = await isolated('obad')
  sink = await startSink(iso)
  const config = outcomesConfig({ iso, versions: { v1: [model.url] } }) as { outcomes?: object, models: Record<string, object> }
  config.outcomes = { maxBodyBytes: MAX_BYTES, maxItems: MAX_ITEMS }
  config.models.plain = { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } }
  gw = await startGatewayProcess(config)
})
afterAll(async () => {
  await gw?.stop()
  await sink?.stop()
  await model?.stop()
  await dropIsolated(iso)
})

const post = async (body: string, model = 'fraud', headers: Record<string, string> = {}): Promise<Response> =>
  await fetch(`${gw!.url}/v2/models/${model}/outcomes`, { method: 'POST', body, headers })

describe('outcome intake refusals', () => {
  it.each([
    ['a label that is not 0 or 1 for binary labels', [{ id: 'a', label: 1 }, { id: 'b', label: 2 }], 1, 'label', /must be 0 or 1/],
    ['a missing id', [{ id: 'a', label: 1 }, { id: 'b', value: 3 }, { label: 0 }], 2, 'id', /request's id/],
    ['a label and a value together', [{ id: 'a', label: 1, value: 5 }], 0, 'value', /not both/],
    ['neither a label nor a value', [{ id: 'a' }], 0, 'label', /needs a label .* or a value/],
    ['a value that is not a number', [{ id: 'a', value: '12' }], 0, 'value', /finite number/],
    ['an `at` in seconds instead of milliseconds', [{ id: 'a', label: 0, at: 1_735_000_000 }], 0, 'at', /epoch milliseconds, not seconds/],
    ['an `at` that is not a time', [{ id: 'a', label: 0, at: 'yesterday' }], 0, 'at', /ISO 8601/],
    ['an unknown field', [{ id: 'a', label: 0, score: 1 }], 0, 'score', /unknown field/],
    ['an item of another model', [{ id: 'a', label: 0, model: 'other' }], 0, 'model', /outcomes of "fraud"/]
  ])('%s: 400 GW_INVALID_OUTCOME naming item and field', async (_what, items, item, field, message) => {
    const body = await expectGatewayError(await post(JSON.stringify(items)), 400, 'GW_INVALID_OUTCOME') as unknown as Record<string, unknown>
    expect({ item: body.item, field: body.field, model: body.model }).toEqual({ item, field, model: 'fraud' })
    expect(body.error).toMatch(message)
    expect(body.error).toContain(`outcome ${item}, field "${field}"`)
  })

  it('an NDJSON line that is not JSON: 400 naming the item', async () => {
    const body = await expectGatewayError(await post('{"id":"a","label":1}\n{"id":"b","label":\n'), 400, 'GW_INVALID_OUTCOME') as unknown as Record<string, unknown>
    expect(body.item).toBe(1)
    expect(body.error).toMatch(/not a JSON object \(NDJSON line\)/)
  })

  it('an array body that is not JSON: 400 GW_MALFORMED_JSON', async () => {
    await expectGatewayError(await post('[{"id":"a","label":1},'), 400, 'GW_MALFORMED_JSON')
  })

  it('an empty body: 400 GW_BAD_REQUEST saying what to send', async () => {
    const body = await expectGatewayError(await post(' \n'), 400, 'GW_BAD_REQUEST')
    expect(body.error).toMatch(/no outcomes/)
  })

  it('a body over outcomes.maxBodyBytes: 413 GW_BODY_TOO_LARGE naming the limits', async () => {
    const big = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ id: `big-${i}`, label: 1 })))
    expect(big.length).toBeGreaterThan(MAX_BYTES)
    const body = await expectGatewayError(await post(big), 413, 'GW_BODY_TOO_LARGE')
    expect(body.error).toBe(`request body is larger than the limit of ${MAX_BYTES} bytes for model "fraud" (outcomes: at most ${MAX_BYTES} bytes and ${MAX_ITEMS} items per request)`)
  })

  it('more items than outcomes.maxItems: 413 GW_BODY_TOO_LARGE saying how many', async () => {
    const body = await expectGatewayError(await post(JSON.stringify(Array.from({ length: MAX_ITEMS + 1 }, (_, i) => ({ id: `n-${i}`, label: 1 })))), 413, 'GW_BODY_TOO_LARGE')
    expect(body.error).toContain(`${MAX_ITEMS + 1} outcomes; at most ${MAX_ITEMS} per request`)
  })

  it('a compressed body: 415 GW_UNSUPPORTED_ENCODING', async () => {
    await expectGatewayError(await post('[]', 'fraud', { 'content-encoding': 'gzip' }), 415, 'GW_UNSUPPORTED_ENCODING')
  })

  it('a model that does not collect outcomes: 404 GW_OUTCOMES_NOT_ENABLED; an unknown model: 404 GW_UNKNOWN_MODEL', async () => {
    await expectGatewayError(await post('[{"id":"a","label":1}]', 'plain'), 404, 'GW_OUTCOMES_NOT_ENABLED')
    await expectGatewayError(await post('[{"id":"a","label":1}]', 'nope'), 404, 'GW_UNKNOWN_MODEL')
  })

  it('GET on the intake: 405 GW_METHOD_NOT_ALLOWED with Allow: POST', async () => {
    const res = await fetch(`${gw!.url}/v2/models/fraud/outcomes`)
    expect(res.headers.get('allow')).toBe('POST')
    await expectGatewayError(res, 405, 'GW_METHOD_NOT_ALLOWED')
  })

  it('nothing of a refused body is stored; a good body afterwards is', async () => {
    await expectGatewayError(await post(JSON.stringify([{ id: 'kept-out', label: 1 }, { id: 'bad', label: 'yes' }])), 400, 'GW_INVALID_OUTCOME')
    const res = await post(JSON.stringify([{ id: 'let-in', label: 0 }]))
    expect(await res.json()).toEqual({ accepted: 1, model: 'fraud' })
    const ids = await eventually(async () => {
      const rows = await iso!.ch.select<{ request_id: string }>(`SELECT request_id FROM ${iso!.db}.outcomes`)
      expect(rows.map(r => r.request_id)).toContain('let-in')
      return rows.map(r => r.request_id)
    }, { timeoutMs: 30_000, intervalMs: 300 })
    expect(ids).toEqual(['let-in'])
    expect(gw!.alive()).toBe(true)
  })
})
