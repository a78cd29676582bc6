import { createSocket, type RemoteInfo } from 'node:dgram'
import type { AddressInfo } from 'node:net'

// A tiny authoritative DNS server on 127.0.0.1 (UDP, port 0) for discovery
// tests: A records for the names a test sets, with a TTL; AAAA and other types
// get an empty answer (NODATA), unknown names NXDOMAIN. A test changes records
// while the gateway runs, or makes the server fail (SERVFAIL) or go silent.
// RFC 1035 section 4: header, question, answer with a name pointer to offset 12.

const TYPE_A = 1
const CLASS_IN = 1
const RCODE_SERVFAIL = 2
const RCODE_NXDOMAIN = 3

export type DnsFailure = 'servfail' | 'silent' | null

export interface TestDnsServer {
  /** "127.0.0.1:PORT", as discovery.resolver takes it. */
  readonly address: string
  readonly port: number
  /** Sets (or, with an empty list, removes) the A records of a name. */
  setA(name: string, addresses: readonly string[], ttlSeconds: number): void
  fail(mode: DnsFailure): void
  /** Queries received for a name (any type) so far. */
  queries(name: string): number
  close(): Promise<void>
}

interface Question { name: string, type: number, end: number }

function readQuestion (msg: Buffer): Question | null {
  if (msg.length < 12 || msg.readUInt16BE(4) < 1) return null
  const labels: string[] = []
  let i = 12
  while (i < msg.length) {
    const n = msg[i]!
    if (n === 0) { i++; break }
    if (n > 63 || i + 1 + n > msg.length) return null
    labels.push(msg.toString('ascii', i + 1, i + 1 + n))
    i += 1 + n
  }
  if (i + 4 > msg.length) return null
  return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(i), end: i + 4 }
}

function answer (query: Buffer, q: Question, rcode: number, addresses: readonly string[], ttl: number): Buffer {
  const header = Buffer.alloc(12)
  header.writeUInt16BE(query.readUInt16BE(0), 0)
  // QR=1, opcode 0, AA=1, RD copied from the query, RA=1.
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2)
  header.writeUInt16BE(1, 4)
  header.writeUInt16BE(addresses.length, 6)
  const question = query.subarray(12, q.end)
  const records = addresses.map((a) => {
    const r = Buffer.alloc(16)
    r.writeUInt16BE(0xc00c, 0)
    r.writeUInt16BE(TYPE_A, 2)
    r.writeUInt16BE(CLASS_IN, 4)
    r.writeUInt32BE(ttl, 6)
    r.writeUInt16BE(4, 10)
    a.split('.').forEach((p, k) => { r[12 + k] = Number(p) })
    return r
  })
  return Buffer.concat([header, question, ...records])
}

export async function startDnsServer (): Promise<TestDnsServer> {
  const records = new Map<string, { addresses: readonly string[], ttl: number }>()
  const counts = new Map<string, number>()
  let failure: DnsFailure = null
  const socket = createSocket('udp4')
  socket.on('message', (msg: Buffer, peer: RemoteInfo) => {
    const q = readQuestion(msg)
    if (q === null) return
    counts.set(q.name, (counts.get(q.name) ?? 0) + 1)
    if (failure === 'silent') return
    let reply: Buffer
    if (failure === 'servfail') reply = answer(msg, q, RCODE_SERVFAIL, [], 0)
    else {
      const r = records.get(q.name)
      if (r === undefined) reply = answer(msg, q, RCODE_NXDOMAIN, [], 0)
      else reply = answer(msg, q, 0, q.type === TYPE_A ? r.addresses : [], r.ttl)
    }
    socket.send(reply, peer.port, peer.address)
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(0, '127.0.0.1', () => resolve())
  })
  const { port } = socket.address() as AddressInfo
  return {
    address: `127.0.0.1:${port}`,
    port,
    setA (name, addresses, ttlSeconds) {
      if (addresses.length === 0) records.delete(name.toLowerCase())
      else records.set(name.toLowerCase(), { addresses: [...addresses], ttl: ttlSeconds })
    },
    fail (mode) { failure = mode },
    queries: (name) => counts.get(name.toLowerCase()) ?? 0,
    close: () => new Promise<void>((resolve) => { socket.close(() => resolve()) })
  }
}
