/**
 * Input features of sampled OIP request bodies, for input drift: every input
 * tensor's column j of every row is one feature, named `input[j]` (or `input`
 * when a row holds one value), or by the names given for that input. Bodies
 * that do not parse, and non-numeric data, are skipped.
 */

/** input name -> feature names of its columns, e.g. features -> [amount, account_age_days, …]. */
export type FeatureNames = ReadonlyMap<string, readonly string[]>

export function featureValues (bodies: readonly string[], names: FeatureNames = new Map()): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const b of bodies) {
    let v: unknown
    try {
      v = JSON.parse(b)
    } catch {
      continue
    }
    const inputs = (v as { inputs?: unknown } | null)?.inputs
    if (!Array.isArray(inputs)) continue
    for (const t of inputs as Array<{ name?: unknown, shape?: unknown, data?: unknown }>) {
      if (typeof t?.name !== 'string' || !Array.isArray(t.data)) continue
      const shape = Array.isArray(t.shape) ? t.shape.map(Number) : []
      const cols = shape.length >= 2 ? shape.slice(1).reduce((a, c) => a * c, 1) : 1
      const data = (t.data as unknown[]).flat(Infinity)
      if (cols < 1 || data.length % cols !== 0) continue
      const given = names.get(t.name)
      for (let j = 0; j < cols; j++) {
        const key = given?.[j] ?? (cols === 1 ? t.name : `${t.name}[${j}]`)
        let list = out.get(key)
        if (list === undefined) out.set(key, list = [])
        for (let r = j; r < data.length; r += cols) {
          const x = data[r]
          if (typeof x === 'number' && Number.isFinite(x)) list.push(x)
        }
      }
    }
  }
  return out
}

/** `features=amount,account_age_days,…` (repeatable per input) -> FeatureNames. */
export function parseFeatureNames (specs: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const s of specs) {
    const eq = s.indexOf('=')
    const cols = s.slice(eq + 1).split(',').map(c => c.trim())
    if (eq <= 0 || cols.some(c => c === '')) throw new RangeError(`--feature-names must be input=name,name,… got ${JSON.stringify(s)}`)
    out.set(s.slice(0, eq), cols)
  }
  return out
}
