/**
 * One CSV record per line (RFC 4180 fields: quoted with "" escapes, comma
 * separated). Records may not span lines: partitions and checkpoints cut the
 * input at line ends, so a quoted newline would split a record.
 */

export class CsvError extends Error {}

/** The fields of one line; throws CsvError on an unterminated or misplaced quote. */
export function parseCsvLine (line: string): string[] {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line
  const fields: string[] = []
  let i = 0
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      let value = ''
      let j = i + 1
      for (;;) {
        const q = text.indexOf('"', j)
        if (q === -1) throw new CsvError(`unterminated quoted field starting at column ${i + 1}`)
        value += text.slice(j, q)
        if (text.charCodeAt(q + 1) === 34) {
          value += '"'
          j = q + 2
          continue
        }
        j = q + 1
        break
      }
      fields.push(value)
      if (j === text.length) return fields
      if (text.charCodeAt(j) !== 44) throw new CsvError(`characters after a closing quote at column ${j + 1}`)
      i = j + 1
    } else {
      const comma = text.indexOf(',', i)
      const end = comma === -1 ? text.length : comma
      const value = text.slice(i, end)
      if (value.includes('"')) throw new CsvError(`quote inside an unquoted field at column ${i + 1}`)
      fields.push(value)
      if (comma === -1) return fields
      i = comma + 1
    }
  }
}

const NEEDS_QUOTES = /[",\r\n]/

export function csvField (value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

export function csvLine (values: readonly string[]): string {
  return values.map(csvField).join(',') + '\n'
}
