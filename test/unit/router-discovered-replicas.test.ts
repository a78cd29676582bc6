import { afterEach, describe, expect, it } from 'vitest'
import { Router } from '../../gateway/proxy/router.js'
import { parseConfig } from '../../gateway/config/load.js'
import { changeReplicas } from '../../gateway/control/operations.js'

// Discovered replicas join a version as an overlay on the stored state: the
// snapshot swaps, replicas that stay are the same objects (pool, health and
// ejection state kept), removed ones leave the registry, and models nothing
// changed keep their route objects.

const config = parseConfig(`models:
  fraud:
    versions:
      v1: { replicas: [http://127.0.0.1:9101] }
      v2: { discovery: { dns: fraud-v2.test, port: 8000 } }
    release: { strategy: canary, stable: v1, canary: v2, canaryWeight: 1000 }
  churn:
    versions:
      v1: { replicas: [http://127.0.0.1:9201] }
    release: { strategy: canary, stable: v1 }
`, 'gateway.yaml', {} as never, () => undefined)

const routers: Router[] = []
function router (): Router {
  const r = new Router(config.models, config.initialState)
  routers.push(r)
  return r
}
afterEach(async () => { await Promise.all(routers.splice(0).map(r => r.close())) })

const urlsOf = (r: Router, m: string, v: string): string[] => r.snapshot.models.get(m)!.versions.get(v)!.replicas.map(x => x.url)

describe('router with discovered replicas', () => {
  it('adds discovered URLs to the version in a new snapshot with the same revision', () => {
    const r = router()
    const before = r.snapshot
    expect(urlsOf(r, 'fraud', 'v2')).toEqual([])
    r.setDiscovered('fraud', 'v2', ['http://127.0.0.2:8000', 'http://127.0.0.3:8000'])
    expect(r.snapshot).not.toBe(before)
    expect(r.snapshot.revision).toBe(before.revision)
    expect(urlsOf(r, 'fraud', 'v2')).toEqual(['http://127.0.0.2:8000', 'http://127.0.0.3:8000'])
  })

  it('keeps the same Replica object, with its health and ejection state, for a URL that stays', () => {
    const r = router()
    r.setDiscovered('fraud', 'v2', ['http://127.0.0.2:8000', 'http://127.0.0.3:8000'])
    const stays = r.snapshot.models.get('fraud')!.versions.get('v2')!.replicas[0]!
    stays.setHealthy(false)
    stays.setEjected(true)
    r.setDiscovered('fraud', 'v2', ['http://127.0.0.2:8000', 'http://127.0.0.4:8000'])
    const after = r.snapshot.models.get('fraud')!.versions.get('v2')!.replicas
    expect(after[0]).toBe(stays)
    expect(after[0]!.healthy).toBe(false)
    expect(after[0]!.ejected).toBe(true)
    expect(after.map(x => x.url)).toEqual(['http://127.0.0.2:8000', 'http://127.0.0.4:8000'])
  })

  it('drops a removed URL from the registry (its pool closes) and tells listeners once per change', () => {
    const r = router()
    const seen: number[] = []
    r.onChange(() => { seen.push(1) })
    r.setDiscovered('fraud', 'v2', ['http://127.0.0.2:8000', 'http://127.0.0.3:8000'])
    r.setDiscovered('fraud', 'v2', ['http://127.0.0.2:8000', 'http://127.0.0.3:8000'])
    r.setDiscovered('fraud', 'v2', ['http://127.0.0.2:8000'])
    expect(seen.length).toBe(2)
    expect([...r.replicas()].map(x => x.url).sort()).toEqual(['http://127.0.0.1:9101', 'http://127.0.0.1:9201', 'http://127.0.0.2:8000'])
  })

  it('keeps discovered replicas across a new stored state, and the route objects of models it did not change', () => {
    const r = router()
    r.setDiscovered('fraud', 'v2', ['http://127.0.0.2:8000'])
    const churn = r.snapshot.models.get('churn')!
    const next = changeReplicas('fraud', 'v1', ['http://127.0.0.1:9102'], [])(config.initialState)
    expect(r.apply(next)).toBe(true)
    expect(urlsOf(r, 'fraud', 'v1')).toEqual(['http://127.0.0.1:9101', 'http://127.0.0.1:9102'])
    expect(urlsOf(r, 'fraud', 'v2')).toEqual(['http://127.0.0.2:8000'])
    expect(r.snapshot.models.get('churn')).toBe(churn)
    // A store that parses every revision from JSON (Redis) hands over equal, not identical, models.
    const reparsed = JSON.parse(JSON.stringify({ ...next, revision: next.revision + 1 })) as typeof next
    expect(r.apply(reparsed)).toBe(true)
    expect(r.snapshot.models.get('churn')).toBe(churn)
  })

  it('lists a URL both stored and discovered once', () => {
    const r = router()
    r.setDiscovered('fraud', 'v1', ['http://127.0.0.1:9101', 'http://127.0.0.5:9101'])
    expect(urlsOf(r, 'fraud', 'v1')).toEqual(['http://127.0.0.1:9101', 'http://127.0.0.5:9101'])
  })
})
