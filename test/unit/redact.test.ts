import { describe, expect, it } from 'vitest'
import { Redactor } from '../../gateway/observe/redact.js'
import { jsonPart } from '../../gateway/observe/record-body.js'
import { buildRecord } from '../../gateway/observe/records.js'
import type { RequestOutcome } from '../../gateway/observe/outcome.js'

// Redaction of recorded bodies: tensors and parameters dropped or hashed before
// a record is built, and nothing kept of a body that cannot be read whole.

const KEY = 'unit-hash-key-0123456789'
const r = new Redactor({ drop: ['email', 'secret_tensor'], hash: ['customer_id', 'score'] }, KEY)
const REQUEST = {
  id: 'req-1',
  parameters: { email: 'a@b.c', channel: 'web', customer_id: 'C-42' },
  inputs: [
    { name: 'secret_tensor', shape: [1], datatype: 'BYTES', data: ['x'] },
    { name: 'customer_id', shape: [2], datatype: 'INT64', data: [[1, 2]], parameters: { email: 'x@y.z' } },
    { name: 'amount', shape: [1], datatype: 'FP64', data: [12.5] }
  ]
}

function apply (v: unknown): Record<string, unknown> {
  return JSON.parse(r.apply(Buffer.from(JSON.stringify(v)))!.toString()) as Record<string, unknown>
}

describe('Redactor', () => {
  it('drops named tensors and parameters (also a tensor\'s own), hashes named ones, keeps the rest', () => {
    const out = apply(REQUEST) as typeof REQUEST
    expect(out.parameters).toEqual({ channel: 'web', customer_id: expect.stringMatching(/^[0-9a-f]{16}$/) })
    expect(out.inputs.map(t => t.name)).toEqual(['customer_id', 'amount'])
    expect(out.inputs[0]!.data).toEqual([[expect.stringMatching(/^[0-9a-f]{16}$/), expect.stringMatching(/^[0-9a-f]{16}$/)]])
    expect(out.inputs[0]!.parameters).toEqual({})
    expect(out.inputs[1]!.data).toEqual([12.5])
  })

  it('hashes equal values alike and depends on the key', () => {
    const a = apply({ outputs: [{ name: 'score', data: [0.5, 0.5] }] }) as { outputs: Array<{ data: string[] }> }
    expect(a.outputs[0]!.data[0]).toBe(a.outputs[0]!.data[1])
    const other = new Redactor({ drop: [], hash: ['score'] }, 'another-key-0123456789')
    const b = JSON.parse(other.apply(Buffer.from(JSON.stringify({ outputs: [{ name: 'score', data: [0.5] }] })))!.toString()) as { outputs: Array<{ data: string[] }> }
    expect(b.outputs[0]!.data[0]).not.toBe(a.outputs[0]!.data[0])
  })

  it('keeps nothing of a body that is not JSON or was cut before it could be read whole', () => {
    expect(r.apply(Buffer.from('{"inputs": [ {"name": "email"'))).toBeNull()
    expect(jsonPart(Buffer.from('{"parameters":{"email":"a@b.c"}}'), -1, 4096, true, r)).toEqual({ text: '', binaryBytes: 0, truncated: true })
  })

  it('redacts the JSON header of a binary-tensor body and keeps the raw bytes out', () => {
    const header = Buffer.from(JSON.stringify({ parameters: { email: 'a@b.c' }, inputs: [{ name: 'amount', shape: [1], datatype: 'FP32', parameters: { binary_data_size: 4 } }] }))
    const body = Buffer.concat([header, Buffer.from([1, 2, 3, 4])])
    const part = jsonPart(body, header.length, 4096, false, r)
    expect(part.text).not.toContain('a@b.c')
    expect(part.binaryBytes).toBe(4)
  })

  it('applies before the record is cut to maxBodyBytes, so a cut record never holds half a dropped field', () => {
    const o = { requestId: 'r', model: 'm', version: 'v1', replica: null, release: null, status: 200, errorCode: null, startedAt: 0, totalMs: 1, upstreamMs: 1, fallback: false, stickyKey: undefined, requestBody: Buffer.from(JSON.stringify(REQUEST)), responseBody: null, traffic: 'live', kind: 'infer', requestHeaderLength: -1, requestEncoding: null, responseHeaderLength: -1 } satisfies RequestOutcome
    const rec = buildRecord(o, 'gw', 1, true, 60, r)
    expect(rec.request_body.length).toBeLessThanOrEqual(60)
    expect(rec.request_body).not.toContain('a@b.c')
    expect(rec.request_truncated).toBe(1)
    expect(rec.application).toBe('')
  })

  it('refuses hash fields without a hash key', () => {
    expect(() => new Redactor({ drop: [], hash: ['x'] }, undefined)).toThrow(/logging.hashKey/)
  })
})
