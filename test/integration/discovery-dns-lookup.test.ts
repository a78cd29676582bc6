import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DiscoveryError, DnsLookup } from '../../gateway/discovery/dns.js'
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js'

// DnsLookup against a real DNS server on loopback: what a headless Service's
// answer becomes, and which answers count as failures (the watcher then keeps
// the last good replica set).

let dns: TestDnsServer
let lookup: DnsLookup

beforeAll(async () => {
  dns = await startDnsServer()
  lookup = new DnsLookup({ server: dns.address, timeoutMs: 300 })
})
afterAll(async () => {
  lookup?.cancel()
  await dns?.close()
})

async function failure (name: string, family: 4 | 6 | 'any' = 'any'): Promise<DiscoveryError> {
  const err = await lookup.resolve(name, family).then(() => null, (e: unknown) => e)
  expect(err).toBeInstanceOf(DiscoveryError)
  return err as DiscoveryError
}

describe('DNS lookup of a version name', () => {
  it('returns the A records sorted, with their TTL, when AAAA has none', async () => {
    dns.setA('fraud-v2.models.test', ['127.0.0.3', '127.0.0.2'], 7)
    expect(await lookup.resolve('fraud-v2.models.test', 'any')).toEqual({ addresses: ['127.0.0.2', '127.0.0.3'], ttlSeconds: 7 })
  })

  it('fails with NO_RECORDS for a name without records (NXDOMAIN) and for AAAA-only asks of an A name', async () => {
    expect((await failure('nothing.models.test')).reason).toBe('NO_RECORDS')
    dns.setA('a-only.models.test', ['127.0.0.2'], 5)
    const e = await failure('a-only.models.test', 6)
    expect(e.reason).toBe('NO_RECORDS')
    expect(e.message).toBe('a-only.models.test has no AAAA records')
  })

  it('fails naming the DNS error when the server answers SERVFAIL', async () => {
    dns.setA('flaky.models.test', ['127.0.0.2'], 5)
    dns.fail('servfail')
    try {
      const e = await failure('flaky.models.test')
      expect(e.reason).toBe('ESERVFAIL')
      expect(e.message).toBe('resolving flaky.models.test failed (ESERVFAIL)')
    } finally {
      dns.fail(null)
    }
  })

  it('fails with ETIMEOUT when the server does not answer', async () => {
    dns.setA('slow.models.test', ['127.0.0.2'], 5)
    dns.fail('silent')
    try {
      expect((await failure('slow.models.test', 4)).reason).toBe('ETIMEOUT')
    } finally {
      dns.fail(null)
    }
  })
})
