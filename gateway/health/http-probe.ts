/**
 * One health probe on its own connection, written plainly on a socket.
 *
 * A probe is one small request, on a fresh connection so a probe never queues
 * behind a hung replica's stuck traffic and never trips over an idle
 * keep-alive socket the replica closed between probes. Through an undici
 * Client per probe that cost 430 µs of CPU; a socket that writes a request
 * built once per target and reads the status line costs about 100 µs (both
 * measured on a loopback replica; bench/scale.ts gives the fleet figure).
 *
 * The request is HTTP/1.0 (RFC 1945) with `Connection: close`: the replica
 * answers without chunked framing and closes after the body (RFC 9112 §6.3), so
 * reading to the end of the stream is reading the body, capped.
 */
import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls'

export interface ProbeRequest {
  readonly host: string
  readonly port: number
  readonly tls: ConnectionOptions | null
  /** The whole request, head and body, built once per target. */
  readonly bytes: Buffer
}

export interface ProbeResponse {
  status: number
  /** The body as far as the cap (empty unless asked for). */
  body: string
}

/** A failed probe, named the way the health log and records name it ('timeout', 'ECONNREFUSED', …). */
export class ProbeError extends Error {
  constructor (readonly reason: string) {
    super(reason)
  }
}

const HEAD_END = Buffer.from('\r\n\r\n')
/** A status line and headers larger than this are not a health answer. */
const MAX_HEAD_BYTES = 16 * 1024

export function buildProbeRequest (url: URL, path: string, body: string | null, tls: ConnectionOptions | null): ProbeRequest {
  const https = url.protocol === 'https:'
  const port = url.port !== '' ? Number(url.port) : https ? 443 : 80
  const payload = body === null ? null : Buffer.from(body)
  const head = `${payload === null ? 'GET' : 'POST'} ${path} HTTP/1.0\r\nhost: ${url.host}\r\nuser-agent: model-gateway-health\r\nconnection: close\r\n` +
    (payload === null ? '\r\n' : `content-type: application/json\r\ncontent-length: ${payload.length}\r\n\r\n`)
  const bytes = payload === null ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), payload])
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  return { host, port, tls: https ? { servername: host, ...tls } : null, bytes }
}

export interface Probe {
  /** The status (and the body up to `maxBody` bytes); rejects with a ProbeError. */
  readonly result: Promise<ProbeResponse>
  /** Ends the probe at once (shutdown), as a failure named 'aborted'. */
  abort (): void
}

export function sendProbe (req: ProbeRequest, timeoutMs: number, maxBody: number): Probe {
  let abort = (): void => {}
  const result = new Promise<ProbeResponse>((resolve, reject) => {
    const socket: Socket = req.tls === null
      ? netConnect(req.port, req.host)
      : tlsConnect({ ...req.tls, host: req.host, port: req.port })
    let head: Buffer | null = null
    let status = 0
    const body: Buffer[] = []
    let bodyBytes = 0
    let done = false
    const finish = (err: ProbeError | null): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      if (err !== null) reject(err)
      else resolve({ status, body: Buffer.concat(body).toString('utf8') })
    }
    const timer = setTimeout(() => { finish(new ProbeError('timeout')) }, timeoutMs)
    abort = () => { finish(new ProbeError('aborted')) }
    // write, not end: some servers stop answering a client that half-closed; `connection: close` ends the exchange.
    socket.once(req.tls === null ? 'connect' : 'secureConnect', () => { socket.write(req.bytes) })
    socket.on('data', (chunk: Buffer) => {
      if (status === 0) {
        head = head === null ? chunk : Buffer.concat([head, chunk])
        const end = head.indexOf(HEAD_END)
        if (end < 0) {
          if (head.length > MAX_HEAD_BYTES) finish(new ProbeError('response head too large'))
          return
        }
        status = parseStatus(head)
        if (status === 0) {
          finish(new ProbeError('not an HTTP response'))
          return
        }
        chunk = head.subarray(end + HEAD_END.length)
        head = null
      }
      if (maxBody === 0) {
        finish(null)
        return
      }
      body.push(chunk)
      bodyBytes += chunk.length
      if (bodyBytes >= maxBody) finish(null)
    })
    socket.once('end', () => { finish(status === 0 ? new ProbeError('connection closed before an answer') : null) })
    socket.once('error', (err: NodeJS.ErrnoException) => { finish(new ProbeError(err.code ?? err.message)) })
    socket.once('close', () => { finish(status === 0 ? new ProbeError('connection closed before an answer') : null) })
  })
  return { result, abort: () => { abort() } }
}

/** "HTTP/1.1 200 OK" -> 200; 0 when the line is not a status line. */
function parseStatus (head: Buffer): number {
  // 'HTTP/' + 'x.y' + ' ' + 3 digits
  if (head.length < 12 || head.toString('latin1', 0, 5) !== 'HTTP/' || head[8] !== 0x20) return 0
  const s = (head[9]! - 48) * 100 + (head[10]! - 48) * 10 + (head[11]! - 48)
  return s >= 100 && s <= 599 ? s : 0
}
