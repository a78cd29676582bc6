/**
 * A config file's text on its way to the schema: the error type every config
 * problem becomes (file, path, reason), ${ENV} substitution, and schema errors
 * told in the file's terms without quoting secrets.
 */

export class ConfigError extends Error {
  constructor (readonly file: string, readonly path: string, readonly reason: string) {
    super(`${file}: ${path === '' ? '(root)' : path}: ${reason}`)
    this.name = 'ConfigError'
  }
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/** Replaces ${NAME} and ${NAME:-default} in string values. A missing variable without a default is an error. */
export function substituteEnv (v: unknown, path: string, file: string, lookup: (name: string) => string | undefined): unknown {
  if (typeof v === 'string') {
    return v.replace(ENV_REF, (_m, name: string, def: string | undefined) => {
      const val = lookup(name) ?? def
      if (val === undefined) throw new ConfigError(file, path, `environment variable ${name} is not set`)
      return val
    })
  }
  if (Array.isArray(v)) return v.map((x, i) => substituteEnv(x, `${path}[${i}]`, file, lookup))
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = substituteEnv(x, path === '' ? k : `${path}.${k}`, file, lookup)
    return out
  }
  return v
}

export function jsonPointerToPath (pointer: string): string {
  return pointer.split('/').filter(p => p !== '').map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc === '' ? p : `${acc}.${p}`), '')
}

export function describeSchemaError (message: string, value: unknown, schema: { [k: string]: unknown }): string {
  // Secrets never appear in messages: the caller hides token values; long strings are summarised.
  if (message.startsWith('Unexpected property')) return 'unknown key (not in the schema)'
  if (value === undefined) return message.toLowerCase()
  const shown = typeof value === 'string' ? (value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value)) : JSON.stringify(value)
  const hint = typeof schema.pattern === 'string' ? ` (must match ${schema.pattern})` : ''
  return `${message.toLowerCase()}${hint}; got ${shown ?? 'nothing'}`
}
