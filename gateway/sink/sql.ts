/**
 * Binding values into ClickHouse SQL on servers old and new. Current servers take
 * `{name:Type}` query parameters, bound by the server; 18.16 has none ("Unknown
 * setting param_x"), so there the same placeholders are replaced by literals
 * built here: strings quoted with every backslash and quote escaped, numbers
 * checked to be finite (integers where the type says so). A value that fails the
 * check throws instead of reaching the server.
 */

export type ParamValue = string | number

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):\s*([A-Za-z0-9]+)\s*\}/g

/** A ClickHouse string literal for any JS string (also NUL, newlines, non-ASCII). */
export function quoteString (s: string): string {
  let out = "'"
  for (const ch of s) {
    switch (ch) {
      case '\\': out += '\\\\'; break
      case "'": out += "\\'"; break
      case '\n': out += '\\n'; break
      case '\r': out += '\\r'; break
      case '\t': out += '\\t'; break
      case '\0': out += '\\0'; break
      default: out += ch
    }
  }
  return out + "'"
}

const INT_TYPES = /^U?Int(8|16|32|64)$/
const FLOAT_TYPES = /^Float(32|64)$/

/** The literal for one value of a placeholder type; throws on a value that does not fit the type. */
export function literal (name: string, type: string, v: ParamValue): string {
  if (type === 'String') {
    if (typeof v !== 'string') throw new TypeError(`parameter ${name}: expected a string, got ${typeof v}`)
    return quoteString(v)
  }
  if (INT_TYPES.test(type) || type === 'DateTime') {
    const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new TypeError(`parameter ${name}: expected an integer for ${type}, got ${JSON.stringify(v)}`)
    if (type.startsWith('U') && n < 0) throw new TypeError(`parameter ${name}: expected a non-negative integer for ${type}, got ${n}`)
    return type === 'DateTime' ? `toDateTime(${n})` : String(n)
  }
  if (FLOAT_TYPES.test(type)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`parameter ${name}: expected a finite number for ${type}, got ${JSON.stringify(v)}`)
    return String(v)
  }
  throw new TypeError(`parameter ${name}: type ${type} is not supported for binding`)
}

/** Replaces `{name:Type}` placeholders with checked literals (for servers without query parameters). */
export function inlineParams (sql: string, params: Record<string, ParamValue>): string {
  return sql.replace(PLACEHOLDER, (_m, name: string, type: string) => {
    if (!(name in params)) throw new TypeError(`parameter ${name} is used in the query but not given`)
    return literal(name, type, params[name]!)
  })
}

/** Checks every placeholder has a value of its type (so new servers reject nothing we would have). */
export function checkParams (sql: string, params: Record<string, ParamValue>): void {
  inlineParams(sql, params)
}

/** A database or table name: only what we create ourselves, so a plain pattern is enough. */
export function identifier (s: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(s)) throw new TypeError(`"${s}" is not a valid database or table name (letters, digits, _; 64 at most)`)
  return s
}
