import { describe, expect, it } from 'vitest'
import { fileURLToPath } from 'node:url'
import { runtimeImports } from '../support/import-graph.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('the batch command', () => {
  it('loads no data-plane module: nothing under gateway/server/, gateway/components/ or gateway/app.ts', () => {
    const loaded = runtimeImports('gateway/cli/commands/batch.ts', ROOT)
    expect(loaded).toContain('gateway/batch/run.ts')
    expect(loaded.filter(f => f.startsWith('gateway/server/') || f.startsWith('gateway/components/') || f === 'gateway/app.ts')).toEqual([])
  })
})
