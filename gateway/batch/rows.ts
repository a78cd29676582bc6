/**
 * From an input line to the numbers of a model's input tensors: parse the line
 * (NDJSON object or CSV record), read the mapped columns, check count and type.
 * A row that cannot be used throws RowError with a reason for the rejects file.
 */
import { parseCsvLine, CsvError } from './csv.js'
import type { Datatype, TensorMetadata } from '../../scorer-sdk/types.js'

export type InputFormat = 'ndjson' | 'csv'

export class RowError extends Error {}

/** One model input and the columns that fill it, in order. */
export interface InputMapping {
  name: string
  datatype: Datatype
  /** Shape of one row's part (the model's shape without the batch dimension). */
  rowShape: number[]
  /** Elements per row: the product of rowShape. */
  perRow: number
  columns: string[]
}

export type Field = (column: string) => unknown

const NUMERIC = new Set<Datatype>(['FP16', 'FP32', 'FP64', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64'])
const INTEGER = new Set<Datatype>(['INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64'])
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/**
 * The mapping of every model input: `map` names columns per input; an input
 * not in it is filled from the column of the same name ("from the
 * model's metadata when names match").
 */
export function buildMappings (inputs: readonly TensorMetadata[], map: ReadonlyMap<string, string[]>): InputMapping[] {
  const names = new Set(inputs.map(i => i.name))
  for (const name of map.keys()) {
    if (!names.has(name)) throw new RangeError(`--map names input "${name}", which the model does not have (inputs: ${[...names].join(', ')})`)
  }
  return inputs.map(input => {
    if (!NUMERIC.has(input.datatype)) throw new RangeError(`input "${input.name}" is ${input.datatype}; batch scoring fills numeric inputs only`)
    const rowShape = input.shape.slice(1)
    if (rowShape.some(d => d < 0)) throw new RangeError(`input "${input.name}" has shape ${JSON.stringify(input.shape)}: only the first (batch) dimension may be variable`)
    return {
      name: input.name,
      datatype: input.datatype,
      rowShape,
      perRow: rowShape.reduce((a, b) => a * b, 1),
      columns: map.get(input.name) ?? [input.name]
    }
  })
}

/** "input=col1,col2" pairs into a map; throws on a malformed pair or a repeated input. */
export function parseMapArgs (pairs: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (const p of pairs) {
    const eq = p.indexOf('=')
    const cols = p.slice(eq + 1).split(',').map(c => c.trim())
    if (eq <= 0 || cols.some(c => c === '')) throw new RangeError(`--map must be input=column[,column...], got ${JSON.stringify(p)}`)
    const name = p.slice(0, eq)
    if (map.has(name)) throw new RangeError(`--map gives input "${name}" twice`)
    map.set(name, cols)
  }
  return map
}

/** A mapping file: {"input": "column" | ["column", ...]}. */
export function parseMapFile (json: unknown, file: string): Map<string, string[]> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new RangeError(`${file}: must be a JSON object {"input": ["column", ...]}`)
  const map = new Map<string, string[]>()
  for (const [name, v] of Object.entries(json)) {
    const cols = typeof v === 'string' ? [v] : v
    if (!Array.isArray(cols) || cols.length === 0 || !cols.every(c => typeof c === 'string' && c !== '')) {
      throw new RangeError(`${file}: ${name}: must be a column name or a non-empty list of column names`)
    }
    map.set(name, cols as string[])
  }
  return map
}

/** Column index of a CSV header line. */
export function csvHeader (line: string): Map<string, number> {
  const header = new Map<string, number>()
  parseCsvLine(line).forEach((name, i) => { if (!header.has(name.trim())) header.set(name.trim(), i) })
  return header
}

/** Reads a line as a record; throws RowError when it is not one. */
export function parseRecord (format: InputFormat, text: string, header: ReadonlyMap<string, number> | undefined): Field {
  if (format === 'csv') {
    let fields: string[]
    try {
      fields = parseCsvLine(text)
    } catch (err) {
      if (err instanceof CsvError) throw new RowError(`not a CSV record: ${err.message}`)
      throw err
    }
    if (fields.length !== header!.size) throw new RowError(`${fields.length} fields where the header has ${header!.size}`)
    return (column) => {
      const i = header!.get(column)
      const v = i === undefined ? undefined : fields[i]
      return v === '' ? undefined : v
    }
  }
  let obj: unknown
  try {
    obj = JSON.parse(text)
  } catch (err) {
    throw new RowError(`not JSON: ${(err as Error).message}`)
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new RowError('not a JSON object')
  const record = obj as Record<string, unknown>
  return (column) => record[column] ?? undefined
}

/** The value of a key column as the sticky key / partition key, or undefined when absent. */
export function keyOf (field: Field, column: string): string | undefined {
  const v = field(column)
  // Trimmed as an HTTP parser trims a header value, so the key matches the real-time path's.
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim()
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return undefined
}

/** The row's elements for one input, in order; throws RowError naming the column and the problem. */
export function inputValues (m: InputMapping, field: Field): number[] {
  const out: number[] = []
  for (const column of m.columns) {
    const v = field(column)
    if (v === undefined || v === null) throw new RowError(`missing column "${column}"`)
    collect(out, v, column, m.datatype)
  }
  if (out.length !== m.perRow) throw new RowError(`input "${m.name}" needs ${m.perRow} values per row, got ${out.length} (from ${m.columns.join(', ')})`)
  return out
}

function collect (out: number[], v: unknown, column: string, datatype: Datatype): void {
  if (Array.isArray(v)) {
    for (const x of v) collect(out, x, column, datatype)
    return
  }
  let n: number
  if (typeof v === 'number') n = v
  else if (typeof v === 'string') {
    const s = v.trim()
    if (s.startsWith('[')) {
      let parsed: unknown
      try {
        parsed = JSON.parse(s)
      } catch {
        throw new RowError(`column "${column}": ${JSON.stringify(truncate(v))} is not a number or a JSON list of numbers`)
      }
      collect(out, parsed, column, datatype)
      return
    }
    if (!DECIMAL.test(s)) throw new RowError(`column "${column}": ${JSON.stringify(truncate(v))} is not a number`)
    n = Number(s)
  } else throw new RowError(`column "${column}": ${JSON.stringify(v)} is not a number`)
  if (!Number.isFinite(n)) throw new RowError(`column "${column}": ${truncate(String(v))} is not a finite number`)
  if (INTEGER.has(datatype) && !Number.isInteger(n)) throw new RowError(`column "${column}": ${n} is not an integer (input is ${datatype})`)
  out.push(n)
}

function truncate (s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s
}
