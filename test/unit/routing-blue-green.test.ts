import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { selectVersion } from '../../gateway/routing/select-version.js'
import { buildSnapshot, type ModelRoute } from '../../gateway/routing/snapshot.js'
import { modelStateFromConfig } from '../../gateway/config/initial-state.js'
import type { ResolvedModel } from '../../gateway/config/load.js'
import type { Replica } from '../../gateway/proxy/replica.js'

// Blue-green: the active version takes all traffic; the preview is reachable only
// when a request names it explicitly.

const fakeReplica = (url: string): Replica => ({ url, inflight: 0, available: true }) as unknown as Replica

function blueGreen (): ModelRoute {
  const ms = modelStateFromConfig('fraud', {
    versions: { blue: { replicas: ['http://127.0.0.1:1'] }, green: { replicas: ['http://127.0.0.1:2'] } },
    release: { strategy: 'blue-green', active: 'blue', preview: 'green' }
  })
  expect(ms.split).toEqual([{ version: 'blue', weight: 10_000 }, { version: 'green', weight: 0 }])
  return buildSnapshot({ revision: 1, models: { fraud: ms } }, { fraud: { name: 'fraud' } as ResolvedModel }, fakeReplica).models.get('fraud')!
}

describe('blue-green preview', () => {
  const route = blueGreen()

  it('gets no keyed traffic', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), key => {
      expect(selectVersion(route, key, undefined)!.name).toBe('blue')
    }), { numRuns: 5_000 })
  })

  it('gets no random traffic, whatever the random source returns', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), r => {
      expect(selectVersion(route, undefined, undefined, () => r)!.name).toBe('blue')
    }), { numRuns: 5_000 })
    expect(selectVersion(route, undefined, undefined, () => 0.99999999)!.name).toBe('blue')
  })

  it('serves an explicit selection of the preview, with or without a key', () => {
    expect(selectVersion(route, undefined, 'green')!.name).toBe('green')
    expect(selectVersion(route, 'user-1', 'green')!.name).toBe('green')
    expect(selectVersion(route, 'user-1', 'blue')!.name).toBe('blue')
  })

  it('answers undefined for an explicit version the model does not have', () => {
    expect(selectVersion(route, 'user-1', 'purple')).toBeUndefined()
  })
})
