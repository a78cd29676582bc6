/**
 * One DNS lookup of a version's name: A and/or AAAA records with their TTLs
 * (node:dns/promises, c-ares underneath; no OS cache in between, so a headless
 * Service's current pods are what we see). A name that answers with no records
 * is a failure, not an empty replica set: a DNS server restarting or a typo
 * answers the same way as a scaled-to-zero Service, and dropping every replica
 * on a glitch would be an outage (docs/discovery.md).
 */
import { Resolver } from 'node:dns/promises'

export type Family = 4 | 6 | 'any'

export interface Resolution {
  /** Sorted, so two answers with the same records compare equal. */
  addresses: string[]
  /** Smallest TTL among the records, in seconds. */
  ttlSeconds: number
}

export class DiscoveryError extends Error {
  constructor (readonly reason: string, message: string) {
    super(message)
    this.name = 'DiscoveryError'
  }
}

/** Answers that mean "this name has no such records" rather than "DNS failed". */
const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND'])
/** c-ares tries each server this many times before giving up (default 4 makes a dead resolver slow to report). */
const TRIES = 2

export interface DnsLookupOptions {
  /** "host" or "host:port"; default: the system's servers. */
  server?: string | undefined
  timeoutMs: number
}

export class DnsLookup {
  readonly #resolver: Resolver

  constructor (opts: DnsLookupOptions) {
    this.#resolver = new Resolver({ timeout: opts.timeoutMs, tries: TRIES })
    if (opts.server !== undefined) this.#resolver.setServers([opts.server])
  }

  async resolve (name: string, family: Family): Promise<Resolution> {
    const asks: Array<Promise<Array<{ address: string, ttl: number }>>> = []
    if (family !== 6) asks.push(this.#resolver.resolve4(name, { ttl: true }))
    if (family !== 4) asks.push(this.#resolver.resolve6(name, { ttl: true }))
    const settled = await Promise.allSettled(asks)
    const addresses = new Set<string>()
    let ttl = Infinity
    let failure: string | undefined
    for (const s of settled) {
      if (s.status === 'fulfilled') {
        for (const r of s.value) {
          addresses.add(r.address)
          ttl = Math.min(ttl, r.ttl)
        }
      } else {
        const code = (s.reason as { code?: string }).code ?? 'ERROR'
        if (!NO_RECORDS.has(code)) failure ??= code
      }
    }
    if (addresses.size > 0) return { addresses: [...addresses].sort(), ttlSeconds: ttl }
    if (failure !== undefined) throw new DiscoveryError(failure, `resolving ${name} failed (${failure})`)
    throw new DiscoveryError('NO_RECORDS', `${name} has no ${family === 4 ? 'A' : family === 6 ? 'AAAA' : 'A or AAAA'} records`)
  }

  cancel (): void {
    this.#resolver.cancel()
  }
}
