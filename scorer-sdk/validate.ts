import { DATATYPES } from './types.js'
import type { Datatype, InputSpec, Parameters, Tensor, TensorData } from './types.js'

/**
 * Thrown for a request the model cannot accept; the server answers 400 with an
 * OIP error body. predict() may throw it too.
 */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError'
}

/** An inference request after validation: data flattened to row-major order. */
export interface ParsedInferenceRequest {
  id: string | undefined
  parameters: Parameters | undefined
  inputs: Tensor[]
  /** Names from the request's optional `outputs` list. */
  outputNames: string[] | undefined
}

const DATATYPE_SET: ReadonlySet<string> = new Set(DATATYPES)

// Inclusive integer ranges; 64-bit types are limited to what a JSON number
// carries exactly.
const INTEGER_RANGES: Partial<Record<Datatype, readonly [number, number]>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkElements (name: string, datatype: Datatype, data: unknown[]): void {
  const range = INTEGER_RANGES[datatype]
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    let ok: boolean
    if (datatype === 'BOOL') ok = typeof v === 'boolean'
    else if (datatype === 'BYTES') ok = typeof v === 'string'
    else if (range !== undefined) ok = Number.isInteger(v) && (v as number) >= range[0] && (v as number) <= range[1]
    else ok = typeof v === 'number'
    if (!ok) {
      throw new InvalidInputError(`input '${name}': element ${i} (${JSON.stringify(v)}) is not a valid ${datatype} value`)
    }
  }
}

function parseTensor (raw: unknown, index: number): Tensor {
  if (!isObject(raw)) throw new InvalidInputError(`inputs[${index}] must be an object`)
  const { name, shape, datatype, data, parameters } = raw
  if (typeof name !== 'string' || name === '') throw new InvalidInputError(`inputs[${index}].name must be a non-empty string`)
  if (typeof datatype !== 'string' || !DATATYPE_SET.has(datatype)) {
    throw new InvalidInputError(`input '${name}': unknown datatype ${JSON.stringify(datatype)}`)
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new InvalidInputError(`input '${name}': shape must be an array of non-negative integers`)
  }
  if (!Array.isArray(data)) throw new InvalidInputError(`input '${name}': data must be an array`)
  if (parameters !== undefined && !isObject(parameters)) throw new InvalidInputError(`input '${name}': parameters must be an object`)
  // The spec allows nested arrays; predict() always sees row-major flat data.
  const flat: unknown[] = data.length > 0 && Array.isArray(data[0]) ? data.flat(Infinity) : data
  let expected = 1
  for (const d of shape as number[]) expected *= d
  if (flat.length !== expected) {
    throw new InvalidInputError(`input '${name}': shape [${(shape as number[]).join(', ')}] needs ${expected} elements, data has ${flat.length}`)
  }
  checkElements(name, datatype as Datatype, flat)
  const tensor: Tensor = { name, shape: shape as number[], datatype: datatype as Datatype, data: flat as TensorData }
  if (parameters !== undefined) tensor.parameters = parameters
  return tensor
}

function checkAgainstSpec (tensor: Tensor, spec: InputSpec): void {
  if (tensor.datatype !== spec.datatype && spec.alsoAccept?.includes(tensor.datatype) !== true) {
    const allowed = [spec.datatype, ...(spec.alsoAccept ?? [])].join(' or ')
    throw new InvalidInputError(`input '${tensor.name}': datatype ${tensor.datatype} does not match the model's ${allowed}`)
  }
  const ok = tensor.shape.length === spec.shape.length &&
    spec.shape.every((d, i) => d === -1 || d === tensor.shape[i])
  if (!ok) {
    throw new InvalidInputError(`input '${tensor.name}': shape [${tensor.shape.join(', ')}] does not match the model's [${spec.shape.join(', ')}]`)
  }
}

/**
 * Validates a parsed JSON body as an OIP `$inference_request`, and, when the
 * model declares its inputs, against those: every declared input present, no
 * undeclared input, datatype and shape compatible.
 */
export function parseInferenceRequest (body: unknown, specs?: readonly InputSpec[]): ParsedInferenceRequest {
  if (!isObject(body)) throw new InvalidInputError('request body must be a JSON object')
  const { id, parameters, inputs, outputs } = body
  if (inputs === undefined) throw new InvalidInputError("missing 'inputs'")
  if (!Array.isArray(inputs) || inputs.length === 0) throw new InvalidInputError("'inputs' must be a non-empty array")
  if (id !== undefined && typeof id !== 'string') throw new InvalidInputError("'id' must be a string")
  if (parameters !== undefined && !isObject(parameters)) throw new InvalidInputError("'parameters' must be an object")

  const tensors = inputs.map(parseTensor)
  if (specs !== undefined) {
    for (const tensor of tensors) {
      const spec = specs.find((s) => s.name === tensor.name)
      if (spec === undefined) throw new InvalidInputError(`unexpected input '${tensor.name}'`)
      checkAgainstSpec(tensor, spec)
    }
    for (const spec of specs) {
      if (!tensors.some((t) => t.name === spec.name)) throw new InvalidInputError(`missing input '${spec.name}'`)
    }
  }

  let outputNames: string[] | undefined
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) throw new InvalidInputError("'outputs' must be an array")
    outputNames = outputs.map((o, i) => {
      if (!isObject(o) || typeof o.name !== 'string') throw new InvalidInputError(`outputs[${i}].name must be a string`)
      return o.name
    })
  }

  return { id, parameters, inputs: tensors, outputNames }
}
