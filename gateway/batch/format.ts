/**
 * Output and rejects lines. Output: the kept columns, one field per model
 * output, and `model_version`, the version that scored the row (from
 * x-model-version). Rejects: NDJSON with the line number, the reason and the
 * line itself (cut at REJECT_INPUT_MAX characters).
 */
import { csvLine } from './csv.js'
import type { ScoredRow } from './score.js'

export type OutputFormat = 'ndjson' | 'csv'

export const VERSION_FIELD = 'model_version'
export const REJECT_INPUT_MAX = 1024

export interface RowFormatter {
  /** Written once at the top of a new output file ('' for NDJSON). */
  header: string
  line (row: ScoredRow): string
}

export function rowFormatter (format: OutputFormat, keep: readonly string[], outputs: readonly string[]): RowFormatter {
  if (format === 'csv') {
    return {
      header: csvLine([...keep, ...outputs, VERSION_FIELD]),
      line: (row) => csvLine([
        ...row.keep.map(cell),
        ...row.predictions!.map(cell),
        row.version!
      ])
    }
  }
  // Keys are JSON-quoted once; each row only stringifies its values.
  const keepKeys = keep.map(k => `${JSON.stringify(k)}:`)
  const outKeys = outputs.map(k => `${JSON.stringify(k)}:`)
  const versionKey = `${JSON.stringify(VERSION_FIELD)}:`
  return {
    header: '',
    line: (row) => {
      let s = '{'
      for (let i = 0; i < keepKeys.length; i++) s += `${keepKeys[i]}${JSON.stringify(row.keep[i] ?? null)},`
      for (let i = 0; i < outKeys.length; i++) s += `${outKeys[i]}${JSON.stringify(row.predictions![i] ?? null)},`
      return `${s}${versionKey}${JSON.stringify(row.version)}}\n`
    }
  }
}

function cell (v: unknown): string {
  if (v === undefined || v === null) return ''
  return typeof v === 'string' ? v : JSON.stringify(v)
}

export function rejectLine (line: number, reason: string, input: string): string {
  return `${JSON.stringify({ line, reason, input: input.length > REJECT_INPUT_MAX ? `${input.slice(0, REJECT_INPUT_MAX)}…` : input })}\n`
}
