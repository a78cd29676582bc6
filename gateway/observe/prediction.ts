/**
 * The model's main output of one answer, for the assignment ledger: element 0
 * of a named output tensor. The ledger takes it from every live 2xx answer, so
 * the common case skips JSON.parse: an OIP body as servers write it compactly
 * (`…{"name":"fraud_probability",…,"data":[0.12…`) is found with one walk over
 * its bytes and one number read. Anything else — spaces after colons,
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
  readonly #skip: Int32Array

  constructor (output: string) {
    this.output = output
    this.#needle = Buffer.from(`"name":${JSON.stringify(output)}`)
    this.#skip = skipTable(this.#needle)
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
    const at = find(body, this.#needle, end, this.#skip)
    if (at === -1) return undefined
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
    const v = decimal(body, start, i)
    return Number.isFinite(v) ? v : undefined
  }
}

/**
 * Boyer-Moore-Horspool shifts for `word`: how far the window may move when its
 * last byte is c. JSON is full of the needle's first byte (a quote), so a walk
 * that tries every position was most of the read (0.45 µs per answer in the
 * gateway's profile); with these shifts a 26-byte needle skips most of a line.
 */
export function skipTable (word: Buffer): Int32Array {
  const t = new Int32Array(256).fill(word.length)
  for (let k = 0; k < word.length - 1; k++) t[word[k]!] = word.length - 1 - k
  return t
}

/**
 * First index of `word` in body[0, end), or -1. A JS walk: on an answer of a
 * few hundred bytes it is cheaper than Buffer#indexOf's native call.
 */
export function find (body: Buffer, word: Buffer, end: number, skip: Int32Array = skipTable(word)): number {
  const m = word.length
  const last = word[m - 1]!
  for (let i = 0; i + m <= end;) {
    const c = body[i + m - 1]!
    if (c === last && matches(body, i, word)) return i
    i += skip[c]!
  }
  return -1
}

/** 10^0 … 10^22: each exactly a double. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k)
const TWO_53 = 2 ** 53

/**
 * The number in body[start, end) (characters isNumberChar accepts), without
 * a string: a plain decimal whose digits, read as an integer, stay below 2^53,
 * with at most 22 after the point, is that integer divided by a power of ten
 * that is exact; one correctly rounded division of two exact doubles is the
 * same double Number() gives (the fast path of every correct parser). Anything
 * else (an exponent, more digits, a stray sign) goes through Number().
 */
export function decimal (body: Buffer, start: number, end: number): number {
  let i = start
  const negative = body[i] === 0x2d
  if (negative) i++
  let m = 0
  let point = -1
  let digits = 0
  for (; i < end; i++) {
    const c = body[i]!
    if (c >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30)
      digits++
    } else if (c === 0x2e && point === -1) {
      point = i
    } else break
  }
  const scale = point === -1 ? 0 : end - point - 1
  if (i !== end || digits === 0 || m >= TWO_53 || scale > 22 || (point !== -1 && scale === 0)) return Number(body.toString('latin1', start, end))
  const v = m / POW10[scale]!
  return negative ? -v : v
}

function matches (body: Buffer, at: number, word: Buffer): boolean {
  for (let k = 0; k < word.length; k++) if (body[at + k] !== word[k]) return false
  return true
}

function isNumberChar (c: number): boolean {
  // 0-9 . - + e E
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x2b || c === 0x65 || c === 0x45
}
