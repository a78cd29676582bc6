/**
 * What access control costs per request, in-process and free of the machine's
 * noise that dominates `npm run bench`: the gate's authenticate (a cached API
 * key) plus admit (scope and a quota bucket), timed over many calls, against an
 * empty loop. `npm run bench:access`; BENCH_ACCESS_CALLS (default 2,000,000).
 */
import { loadavg } from 'node:os'
import { AccessGate, type Caller } from '../gateway/access/gate.js'
import { QuotaBuckets } from '../gateway/access/quota.js'
import { hashKey } from '../gateway/state/access-state.js'
import { intEnv } from './lib/env.js'

const KEY = 'bench-api-key-not-secret-0123456789'
const calls = intEnv('BENCH_ACCESS_CALLS', 2_000_000, 1000)
const gate = new AccessGate(new QuotaBuckets(), null)
const hash = hashKey(KEY)
gate.apply({
  revision: 1,
  applications: { bench: { models: ['fraud'], versions: {}, rights: [], quota: { rps: 1e9, burst: 1e9 }, quotas: {}, keys: [{ id: hash.slice(7, 15), name: 'bench', hash, createdAt: new Date().toISOString(), expiresAt: null }] } }
})
const headers = { authorization: `Bearer ${KEY}` }

function run (n: number): number {
  let refused = 0
  for (let i = 0; i < n; i++) {
    const c = gate.authenticate(headers) as Caller
    if (gate.admit(c, 'fraud', undefined, true) !== null) refused++
  }
  return refused
}

run(100_000)
const t0 = process.hrtime.bigint()
const refused = run(calls)
const ns = Number(process.hrtime.bigint() - t0) / calls
// A first sight of a key: parse and SHA-256 (the cache is emptied by every new access state).
const t1 = process.hrtime.bigint()
for (let i = 0; i < 10_000; i++) hashKey(`${KEY}${i}`)
const hashNs = Number(process.hrtime.bigint() - t1) / 10_000
gate.close()
process.stdout.write(`${JSON.stringify({ calls, refused, nsPerRequest: Math.round(ns), sha256NsOnFirstSight: Math.round(hashNs), loadAverage: loadavg()[0] })}\n`)
