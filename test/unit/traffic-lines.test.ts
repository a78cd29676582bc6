import { describe, expect, it } from 'vitest'
import { fraudBody, reportLine } from '../../gateway/cli/traffic-loop.js'
import { seeded } from '../support/seeded-random.js'

describe('traffic command output', () => {
  it('a report line gives time, requests, answers per version and per status class, and latency', () => {
    expect(reportLine({ elapsedS: 5, sent: 250, versions: { v2: 24, v1: 226 }, statuses: { '5xx': 2, '2xx': 248 }, skipped: 0, p50Ms: 1.94, p99Ms: 12.4 }))
      .toBe('+   5s  sent   250  | v1 226  v2 24  | 2xx 248  5xx 2  | p50 1.9 ms  p99 12.4 ms')
  })

  it('says how many sends were skipped when too many requests were waiting, and leaves latency out when there is none', () => {
    expect(reportLine({ elapsedS: 60, sent: 10, versions: {}, statuses: { error: 10 }, skipped: 40, p50Ms: null, p99Ms: null }))
      .toBe('+  60s  sent    10  | -  | error 10  | skipped 40 (too many in flight)')
  })

  it('bodies are the fraud example\'s request with four features in range', () => {
    const random = seeded(3)
    for (let i = 0; i < 100; i++) {
      const b = JSON.parse(fraudBody(random)) as { inputs: Array<{ name: string, shape: number[], datatype: string, data: number[] }> }
      expect(b.inputs.map(x => [x.name, x.shape, x.datatype])).toEqual([['features', [1, 4], 'FP64']])
      const [amount, age, tx, km] = b.inputs[0]!.data as [number, number, number, number]
      expect(amount >= 0 && amount <= 2000 && age >= 0 && age < 3000 && tx >= 0 && tx < 20 && km >= 0 && km <= 500).toBe(true)
    }
  })
})
