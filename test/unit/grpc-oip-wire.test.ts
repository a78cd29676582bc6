import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { messageType } from '../../proto/oip-proto.js'
import { encodeMessage, rewriteNameVersion, scanFields, WireError } from '../../gateway/proxy/oip-wire.js'

const Req = messageType('ModelInferRequest')
const encode = (v: Record<string, unknown>): Buffer => Buffer.from(Req.encode(Req.fromObject(v)).finish())
const decode = (b: Buffer): Record<string, unknown> => Req.toObject(Req.decode(b), { longs: Number, defaults: true, arrays: true }) as Record<string, unknown>

const request = (name: string, version: string, id: string, raw: Buffer[]): Record<string, unknown> => ({
  modelName: name,
  modelVersion: version,
  id,
  parameters: { priority: { int64Param: 3 } },
  inputs: raw.map((_, i) => ({ name: `x${i}`, datatype: 'UINT8', shape: [raw[i]!.length] })),
  outputs: [{ name: 'y' }],
  rawInputContents: raw
})

const text = fc.string({ maxLength: 40 })
const raws = fc.array(fc.uint8Array({ maxLength: 300 }).map(a => Buffer.from(a)), { maxLength: 4 })

describe('protobuf field reader of OIP gRPC messages', () => {
  it('reads model_name, model_version and id and adds up raw_input_contents bytes of any ModelInferRequest', () => {
    fc.assert(fc.property(text, text, text, raws, (name, version, id, raw) => {
      const s = scanFields(encode(request(name, version, id, raw)), 7)
      expect([s.name, s.version, s.id]).toEqual([name, version, id])
      expect(s.rawBytes).toBe(raw.reduce((n, b) => n + b.length, 0))
    }))
  })

  it('a rewrite changes model_name and model_version and leaves every other field as it was', () => {
    fc.assert(fc.property(text, text, text, text, text, raws, (name, version, id, name2, version2, raw) => {
      const before = encode(request(name, version, id, raw))
      const after = rewriteNameVersion(before, scanFields(before, 7), name2, version2)
      expect(decode(after)).toEqual(decode(encode(request(name2, version2, id, raw))))
    }))
  })

  it('a rewrite finds fields 1 and 2 wherever they stand and drops every occurrence', () => {
    const tail = encode({ modelName: 'late', modelVersion: '9' })
    const scattered = Buffer.concat([encode({ id: 'abc', inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }] }), tail, encode({ modelName: 'later' })])
    const s = scanFields(scattered, 7)
    expect(s).toMatchObject({ name: 'later', version: '9', id: 'abc', scattered: true })
    expect(decode(rewriteNameVersion(scattered, s, 'm', 'v'))).toMatchObject({ modelName: 'm', modelVersion: 'v', id: 'abc', inputs: [{ name: 'x' }] })
  })

  it('refuses bytes that are not a message, saying where', () => {
    expect(() => scanFields(Buffer.from([0x0a, 0x7f, 0x61]), 7)).toThrow(new WireError('field 1 at byte 0 runs past the end of the message (127 bytes declared, 1 left)'))
    expect(() => scanFields(Buffer.from([0x08, 0x01]), 7)).toThrow(new WireError('field 1 at byte 0 has wire type 0; a string or bytes field has type 2'))
    expect(() => scanFields(Buffer.from([0x0f]), 7)).toThrow(WireError)
  })

  it('encodes the gateway\'s small answers as protobufjs decodes them', () => {
    const T = messageType('ServerMetadataResponse')
    const b = encodeMessage([[1, 'model-gateway'], [2, '0.2.0'], [3, ['a', '']]])
    expect(T.toObject(T.decode(b), { arrays: true })).toEqual({ name: 'model-gateway', version: '0.2.0', extensions: ['a', ''] })
    expect(encodeMessage([[1, true]])).toEqual(Buffer.from([0x08, 0x01]))
    expect(encodeMessage([[1, false]])).toEqual(Buffer.alloc(0))
  })
})
