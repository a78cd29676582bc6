/**
 * The files a module loads at run time, read from the sources: relative
 * `import … from` and `export … from` statements, `import type` left out (it
 * is erased at compile time).
 */
import { readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'

const RUNTIME_IMPORT = /^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'(\.[^']+)'/gm

export function runtimeImports (entry: string, root: string): string[] {
  const seen = new Set<string>()
  const stack = [resolve(root, entry)]
  while (stack.length > 0) {
    const file = stack.pop()!
    if (seen.has(file)) continue
    seen.add(file)
    for (const m of readFileSync(file, 'utf8').matchAll(RUNTIME_IMPORT)) stack.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')))
  }
  return [...seen].map(f => relative(root, f)).sort()
}
