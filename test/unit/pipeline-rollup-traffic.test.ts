import { describe, expect, it } from 'vitest'
import { RollupCounters, rollupKey } from '../../gateway/observe/rollup.js'

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0)

describe('RollupCounters traffic kinds', () => {
  it('counts live and batch requests of the same minute, version and status class in separate cells', () => {
    const r = new RollupCounters('gw', 'run')
    for (let i = 0; i < 3; i++) r.record('fraud', 'v1', 200, 4, T0 + i, 'live')
    for (let i = 0; i < 5; i++) r.record('fraud', 'v1', 200, 4, T0 + i, 'batch')
    r.record('fraud', 'v1', 200, 4, T0)
    const rows = r.flush()
    expect(rows.map(x => [x.traffic, x.requests]).sort()).toEqual([['batch', 5], ['live', 4]])
    expect(new Set(rows.map(rollupKey)).size).toBe(2)
  })
})
