/**
 * The golden set of a verification: Open Inference Protocol infer requests, one
 * JSON object per line (NDJSON), each optionally with the outputs it must produce
 * and a tolerance. `expected` and `tolerance` are taken off before the request is
 * sent, so a line is otherwise exactly what an application would send:
 *
 *   {"inputs":[{"name":"features","shape":[1,4],"datatype":"FP64","data":[620,200,7,265]}],
 *    "expected":{"fraud_probability":[0.9213]},"tolerance":0.001}
 *
 * Without `expected`, the answer is compared with the stable version's answer to
 * the same request.
 */

/** Requests in one golden set at most: every replica gets all of them, several times. */
export const MAX_GOLDEN_REQUESTS = 1000
/** Bytes of one golden set at most (the admin API's limit for the verify route). */
export const MAX_GOLDEN_BYTES = 4 * 1024 * 1024

export interface GoldenCase {
  /** 1-based line (or array index + 1), for messages. */
  line: number
  /** The request body as sent (expected and tolerance removed). */
  body: Buffer
  /** Output name -> numbers, when the line gives them. */
  expected: Record<string, number[]> | null
  /** Absolute tolerance for this line, when it gives one. */
  tolerance: number | null
}

export class GoldenError extends Error {
  constructor (readonly where: string, reason: string) {
    super(`${where}: ${reason}`)
    this.name = 'GoldenError'
  }
}

/** Splits NDJSON text into objects; blank lines and lines starting with # are skipped. */
export function parseGoldenText (text: string, source: string): unknown[] {
  if (Buffer.byteLength(text) > MAX_GOLDEN_BYTES) throw new GoldenError(source, `is larger than ${MAX_GOLDEN_BYTES} bytes`)
  const out: unknown[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    try {
      out.push(JSON.parse(line))
    } catch (err) {
      throw new GoldenError(`${source} line ${i + 1}`, `not JSON: ${(err as Error).message}`)
    }
  })
  return out
}

/** Checks each golden line and turns it into a case; errors name the line and the field. */
export function goldenCases (lines: readonly unknown[], source = 'golden set'): GoldenCase[] {
  if (lines.length === 0) throw new GoldenError(source, 'holds no requests')
  if (lines.length > MAX_GOLDEN_REQUESTS) throw new GoldenError(source, `holds ${lines.length} requests; at most ${MAX_GOLDEN_REQUESTS}`)
  return lines.map((v, i) => goldenCase(v, `${source} line ${i + 1}`, i + 1))
}

function goldenCase (v: unknown, where: string, line: number): GoldenCase {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new GoldenError(where, 'must be a JSON object (an OIP infer request)')
  const { expected, tolerance, ...request } = v as Record<string, unknown>
  if (!Array.isArray(request.inputs) || request.inputs.length === 0) throw new GoldenError(where, '"inputs" must be a non-empty array of tensors')
  let exp: Record<string, number[]> | null = null
  if (expected !== undefined) {
    if (expected === null || typeof expected !== 'object' || Array.isArray(expected)) throw new GoldenError(`${where}: expected`, 'must map output names to arrays of numbers')
    exp = {}
    for (const [name, data] of Object.entries(expected)) {
      if (!Array.isArray(data) || !data.every(x => typeof x === 'number' && Number.isFinite(x))) throw new GoldenError(`${where}: expected.${name}`, 'must be an array of finite numbers')
      exp[name] = data as number[]
    }
  }
  if (tolerance !== undefined && (typeof tolerance !== 'number' || !(tolerance >= 0) || !Number.isFinite(tolerance))) throw new GoldenError(`${where}: tolerance`, 'must be a number >= 0')
  return { line, body: Buffer.from(JSON.stringify(request)), expected: exp, tolerance: tolerance === undefined ? null : tolerance }
}
