/**
 * The model's main output of one answer, for the assignment ledger: element 0
 * of a named output tensor. The ledger takes it from every live 2xx answer, so
 * the common case skips JSON.parse: an OIP body as servers write it compactly
 * (`…{"name":"fraud_probability",…,"data":[0.12…`) is found with two native
 * Buffer searches and one number read. Anything else — spaces after colons,
 * keys in another order, nested objects between name and data — falls back to
 * parsing the JSON part, so the answer is the same either way, only slower.
 */

/** Bodies larger than this are not parsed for a prediction (the fast path still reads them). */
export const MAX_PARSE_BYTES = 64 * 1024

const DATA = Buffer.from('"data":')
const CLOSE = 0x7d // }
const OPEN_ARRAY = 0x5b // [
const QUOTE = 0x22 // "
const D = 0x64 // d

/**
 * The watched output of a parsed OIP response body: outputs[] by name (or the
 * first), element `index` of its data. Null when the body does not have it.
 */
export function outputValue (body: unknown, name: string | null, index: number): number | null {
  const outputs = (body as { outputs?: unknown } | null)?.outputs
  if (!Array.isArray(outputs)) return null
  const out = (name === null ? outputs[0] : outputs.find(o => (o as { name?: unknown } | null)?.name === name)) as { data?: unknown } | undefined
  const data = out?.data
  if (!Array.isArray(data)) return null
  let v: unknown = data[index]
  // Row-major nested data ([[0.1], [0.2]]): the first element of the first row.
  while (index === 0 && Array.isArray(v)) v = v[0]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

export class PredictionReader {
  readonly output: string
  readonly #needle: Buffer

  constructor (output: string) {
    this.output = output
    this.#needle = Buffer.from(`"name":${JSON.stringify(output)}`)
  }

  /** Element 0 of the output in `body` (its first `jsonLength` bytes when the binary extension is used), or NaN. */
  read (body: Buffer | null, jsonLength: number): number {
    if (body === null || body.length === 0) return NaN
    const end = jsonLength >= 0 && jsonLength <= body.length ? jsonLength : body.length
    const fast = this.#scan(body, end)
    if (fast !== undefined) return fast
    if (end > MAX_PARSE_BYTES) return NaN
    try {
      return outputValue(JSON.parse(body.toString('utf8', 0, end)), this.output, 0) ?? NaN
    } catch {
      return NaN
    }
  }

  /** The compact-JSON path; undefined when the body is not laid out for it (then parse). */
  #scan (body: Buffer, end: number): number | undefined {
    const at = body.indexOf(this.#needle)
    if (at === -1 || at >= end) return undefined
    // The output's "data": one JS walk over the few bytes after the name, cheaper than more native searches.
    // A closing brace first means the data key belongs to another object (or a nested one sits between).
    let i = at + this.#needle.length
    for (;; i++) {
      if (i + DATA.length > end) return undefined
      const c = body[i]!
      if (c === CLOSE) return undefined
      if (c === QUOTE && body[i + 1] === D && matches(body, i, DATA)) break
    }
    i += DATA.length
    if (body[i] !== OPEN_ARRAY) return undefined
    while (body[i] === OPEN_ARRAY) i++
    const start = i
    while (i < end && isNumberChar(body[i]!)) i++
    if (i === start) return undefined
    const v = Number(body.toString('latin1', start, i))
    return Number.isFinite(v) ? v : undefined
  }
}

function matches (body: Buffer, at: number, word: Buffer): boolean {
  for (let k = 0; k < word.length; k++) if (body[at + k] !== word[k]) return false
  return true
}

function isNumberChar (c: number): boolean {
  // 0-9 . - + e E
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x2b || c === 0x65 || c === 0x45
}
