/**
 * The Open Inference Protocol's gRPC messages in full (protobufjs over the
 * vendored grpc_predict_v2.proto), and their translation to and from the REST
 * protocol's JSON shapes. Used where a message must be decoded whole: sampled
 * records and shadow comparisons (off the answer's path), gRPC health probes
 * with a scoring payload, and scorer-sdk's gRPC server. The gateway's request
 * path reads only a few fields itself (gateway/proxy/oip-wire.ts).
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'

export const PROTO_FILE = 'grpc_predict_v2.proto'
export const SERVICE = 'inference.GRPCInferenceService'

/** Path of an RPC of the service, as it goes on the wire. */
export const rpcPath = (method: string): string => `/${SERVICE}/${method}`

/** The vendored .proto: beside this module in the source tree, under <repo>/proto from dist/proto. */
export function protoPath (): string {
  const here = dirname(fileURLToPath(import.meta.url))
  for (const p of [join(here, PROTO_FILE), join(here, '..', '..', 'proto', PROTO_FILE)]) if (existsSync(p)) return p
  throw new Error(`${PROTO_FILE} not found beside ${here} or in <repo>/proto`)
}

let root: protobuf.Root | undefined

/** A message type of package `inference`, e.g. "ModelInferRequest"; the file is parsed once. */
export function messageType (name: string): protobuf.Type {
  root ??= protobuf.loadSync(protoPath())
  return root.lookupType(`inference.${name}`)
}

/** The JSON parameters of REST from protobuf InferParameter values. */
type JsonParameters = Record<string, boolean | number | string>
type Contents = Record<string, unknown[]>

export interface JsonTensor {
  name: string
  datatype: string
  shape: number[]
  parameters?: JsonParameters
  data?: unknown[]
}

/** Which InferTensorContents field holds a datatype's values (OIP gRPC "Tensor Data"). FP16 and BF16 travel only as raw bytes. */
export const CONTENTS_FIELD: Readonly<Record<string, string>> = {
  BOOL: 'boolContents',
  INT8: 'intContents',
  INT16: 'intContents',
  INT32: 'intContents',
  INT64: 'int64Contents',
  UINT8: 'uintContents',
  UINT16: 'uintContents',
  UINT32: 'uintContents',
  UINT64: 'uint64Contents',
  FP32: 'fp32Contents',
  FP64: 'fp64Contents',
  BYTES: 'bytesContents'
}

const DECODE_OPTIONS: protobuf.IConversionOptions = { longs: Number, bytes: String, defaults: false, arrays: true }

function parametersToJson (p: Record<string, Record<string, unknown>> | undefined): JsonParameters | undefined {
  if (p === undefined || Object.keys(p).length === 0) return undefined
  const out: JsonParameters = {}
  for (const [k, v] of Object.entries(p)) out[k] = (v.boolParam ?? v.int64Param ?? v.stringParam ?? '') as boolean | number | string
  return out
}

function tensorToJson (t: Record<string, unknown>, withData: boolean): JsonTensor {
  const out: JsonTensor = { name: t.name as string ?? '', datatype: t.datatype as string ?? '', shape: (t.shape as number[] | undefined) ?? [] }
  const params = parametersToJson(t.parameters as Record<string, Record<string, unknown>> | undefined)
  if (params !== undefined) out.parameters = params
  const contents = t.contents as Contents | undefined
  if (withData && contents !== undefined) {
    const field = CONTENTS_FIELD[out.datatype]
    const data = field === undefined ? undefined : contents[field]
    if (data !== undefined && data.length > 0) out.data = data
  }
  return out
}

/**
 * A ModelInferRequest (or Response: `response` true) as the REST protocol's JSON
 * body would carry it. Tensors sent as raw bytes have no `data`; the record keeps
 * their size only (the REST binary extension is recorded the same way).
 */
export function inferMessageToJson (buf: Buffer, response: boolean): Record<string, unknown> {
  const type = messageType(response ? 'ModelInferResponse' : 'ModelInferRequest')
  const decoded = type.decode(buf) as unknown as Record<string, unknown>
  // Raw tensor bytes are recorded by size only: they are not converted (a 1 MiB tensor would become 1.4 MB of base64).
  const rawField = response ? 'rawOutputContents' : 'rawInputContents'
  const hasRaw = (decoded[rawField] as unknown[] | undefined ?? []).length > 0
  decoded[rawField] = []
  const m = type.toObject(decoded as unknown as protobuf.Message, DECODE_OPTIONS) as Record<string, unknown>
  const out: Record<string, unknown> = {}
  if (response) {
    out.model_name = m.modelName ?? ''
    if (m.modelVersion !== undefined) out.model_version = m.modelVersion
  }
  if (m.id !== undefined) out.id = m.id
  const params = parametersToJson(m.parameters as Record<string, Record<string, unknown>> | undefined)
  if (params !== undefined) out.parameters = params
  const tensors = (response ? m.outputs : m.inputs) as Array<Record<string, unknown>> | undefined ?? []
  out[response ? 'outputs' : 'inputs'] = tensors.map(t => tensorToJson(t, !hasRaw))
  if (!response && Array.isArray(m.outputs) && m.outputs.length > 0) out.outputs = (m.outputs as Array<Record<string, unknown>>).map(o => ({ name: o.name, ...(o.parameters === undefined ? {} : { parameters: parametersToJson(o.parameters as Record<string, Record<string, unknown>>) }) }))
  return out
}

function parametersFromJson (p: unknown): Record<string, Record<string, unknown>> | undefined {
  if (p === null || typeof p !== 'object') return undefined
  const out: Record<string, Record<string, unknown>> = {}
  for (const [k, v] of Object.entries(p as Record<string, unknown>)) {
    out[k] = typeof v === 'boolean' ? { boolParam: v } : typeof v === 'number' && Number.isInteger(v) ? { int64Param: v } : { stringParam: String(v) }
  }
  return out
}

/** A REST inference request body (JSON, typed data) as a ModelInferRequest for `model`. */
export function inferRequestFromJson (body: Record<string, unknown>, model: string, version = ''): Buffer {
  const inputs = (body.inputs as JsonTensor[] | undefined ?? []).map((t) => {
    const field = CONTENTS_FIELD[t.datatype]
    if (field === undefined) throw new Error(`datatype ${t.datatype} of input "${t.name}" has no typed contents field; send it as raw bytes`)
    const data = (t.data ?? []).flat(Infinity)
    return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: parametersFromJson(t.parameters), contents: { [field]: field === 'bytesContents' ? data.map(d => Buffer.from(String(d))) : data } }
  })
  const outputs = (body.outputs as Array<{ name: string, parameters?: unknown }> | undefined)?.map(o => ({ name: o.name, parameters: parametersFromJson(o.parameters) }))
  const type = messageType('ModelInferRequest')
  const msg = type.fromObject({ modelName: model, modelVersion: version, id: body.id ?? '', parameters: parametersFromJson(body.parameters), inputs, outputs })
  return Buffer.from(type.encode(msg).finish())
}
