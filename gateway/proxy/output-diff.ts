/**
 * How far apart two model answers are: the outputs of two OIP infer responses,
 * matched by name. Shared by verification (candidate vs expected or stable) and
 * the shadow pairs (shadow vs primary). Pure; runs off the response path.
 */

export interface OutputTensor {
  datatype: string
  shape: number[]
  data: unknown[]
}

export interface OutputDiff {
  /** Same output names and shapes, so the data can be compared value by value. */
  comparable: boolean
  /** Every value equal. */
  exact: boolean
  /** Largest absolute difference of numeric values (0 when exact; -1 when not comparable). */
  maxAbsDiff: number
}

export const NOT_COMPARABLE: OutputDiff = Object.freeze({ comparable: false, exact: false, maxAbsDiff: -1 })

/** Output name -> tensor of an OIP infer response body, or null when it is not one. */
export function parseOutputs (body: Buffer | string | null): Map<string, OutputTensor> | null {
  if (body === null || body.length === 0) return null
  let v: unknown
  try {
    v = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'))
  } catch {
    return null
  }
  const outputs = (v as { outputs?: unknown } | null)?.outputs
  if (!Array.isArray(outputs)) return null
  const out = new Map<string, OutputTensor>()
  for (const o of outputs as Array<Record<string, unknown>>) {
    if (o === null || typeof o !== 'object' || typeof o.name !== 'string' || !Array.isArray(o.data)) return null
    out.set(o.name, { datatype: String(o.datatype), shape: numbers(o.shape), data: flat(o.data) })
  }
  return out
}

/**
 * The parsed arrays are used as they are when they already have the wanted
 * form (the common case): every shadow pair parses two answers, and copying
 * each array once more was a third of the comparison's cost.
 */
function numbers (shape: unknown): number[] {
  if (!Array.isArray(shape)) return []
  for (let i = 0; i < shape.length; i++) if (typeof shape[i] !== 'number') return shape.map(Number)
  return shape as number[]
}

function flat (data: unknown[]): unknown[] {
  for (let i = 0; i < data.length; i++) if (Array.isArray(data[i])) return data.flat(Infinity)
  return data
}

function sameShape (a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false
  // NaN (a shape entry that was not a number) matches NaN, as the shapes' text did.
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false
  return true
}

/** Compares `b` with `a` output by output (every output of `a` must be in `b`, same shape). */
export function diffOutputs (a: ReadonlyMap<string, OutputTensor>, b: ReadonlyMap<string, OutputTensor>): OutputDiff {
  if (a.size === 0) return NOT_COMPARABLE
  let max = 0
  let exact = true
  for (const [name, ta] of a) {
    const tb = b.get(name)
    if (tb === undefined || tb.data.length !== ta.data.length || !sameShape(ta.shape, tb.shape)) return NOT_COMPARABLE
    if (tb.datatype !== ta.datatype) exact = false
    const d = diffData(ta.data, tb.data)
    if (d < 0) return NOT_COMPARABLE
    if (d > 0) exact = false
    if (d > max) max = d
  }
  return { comparable: true, exact, maxAbsDiff: max }
}

/** Compares an answer with expected numbers per output name. */
export function diffExpected (expected: Readonly<Record<string, number[]>>, got: ReadonlyMap<string, OutputTensor>): OutputDiff {
  let max = 0
  for (const [name, want] of Object.entries(expected)) {
    const t = got.get(name)
    if (t === undefined || t.data.length !== want.length) return NOT_COMPARABLE
    const d = diffData(want, t.data)
    if (d < 0) return NOT_COMPARABLE
    if (d > max) max = d
  }
  return { comparable: true, exact: max === 0, maxAbsDiff: max }
}

/** Largest absolute difference; -1 when a value is not a number on one side and differs. */
function diffData (a: readonly unknown[], b: readonly unknown[]): number {
  let max = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    if (typeof x === 'number' && typeof y === 'number') {
      const d = Math.abs(x - y)
      if (!(d <= max)) max = Number.isNaN(d) ? (Object.is(x, y) ? max : Number.MAX_VALUE) : d
    } else if (x !== y) {
      return -1
    }
  }
  return max
}

export interface TensorSpec { name: string, datatype: string, shape: number[] }

/**
 * Reasons why a version's tensors (inputs or outputs) cannot stand in for the
 * stable version's: a tensor missing, another datatype, or a shape that differs
 * where neither side says -1 (variable size). Extra candidate inputs are a
 * problem (applications do not send them); extra outputs are not.
 */
export function tensorProblems (kind: 'input' | 'output', stable: readonly TensorSpec[], candidate: readonly TensorSpec[]): string[] {
  const problems: string[] = []
  const byName = new Map(candidate.map(t => [t.name, t]))
  for (const s of stable) {
    const c = byName.get(s.name)
    if (c === undefined) {
      problems.push(`${kind} "${s.name}" is missing (has: ${candidate.map(t => t.name).join(', ') || 'none'})`)
      continue
    }
    if (c.datatype !== s.datatype) problems.push(`${kind} "${s.name}" has datatype ${c.datatype}, stable has ${s.datatype}`)
    const compatible = c.shape.length === s.shape.length && c.shape.every((d, i) => d === -1 || s.shape[i] === -1 || d === s.shape[i])
    if (!compatible) problems.push(`${kind} "${s.name}" has shape [${c.shape.join(', ')}], stable has [${s.shape.join(', ')}]`)
  }
  if (kind === 'input') {
    const known = new Set(stable.map(t => t.name))
    for (const c of candidate) if (!known.has(c.name)) problems.push(`input "${c.name}" is not an input of the stable version`)
  }
  return problems
}
