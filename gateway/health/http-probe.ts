/**
 * Health probes written plainly on a socket, one channel per target.
 *
 * A probe is one small request built once per target. Through an undici Client
 * per probe that cost 430 µs of CPU; a socket that writes the prebuilt bytes
 * and reads the status line costs about 100 µs on a fresh connection, most of
 * it the connect, the socket object and its close (bench/scale.ts profile).
 *
 * So a channel keeps its connection between probes when the replica says it
 * will keep it longer than the time to the next probe: a probe that reads no
 * body is sent as HTTP/1.1, and the connection is kept when the answer has a
 * Content-Length (its body is skipped), no `Connection: close`, and no
 * `Keep-Alive: timeout=N` hint that, less a second of margin, falls short of
 * the wait. Otherwise the connection ends with the answer. A replica that gave
 * no hint and then closed the kept connection while it sat idle has shown the
 * same: either way it gets the one-shot request, and is asked again every 16
 * probes (its settings may change). A probe that reads the body (an infer probe with
 * expectBodyContains) is sent as HTTP/1.0 (RFC 1945) with `Connection: close`:
 * the replica answers without chunked framing and closes after the body (RFC
 * 9112 §6.3), so reading to the end of the stream is reading the body, capped.
 * A probe never shares the
 * replica's traffic pool: a hung replica saturates that pool with stuck
 * requests, and a probe queued behind them would measure the queue.
 *
 * Fresh connections come from a pool of reusable sockets (probe-socket.ts).
 *
 * A kept connection the replica closed just as a probe was written fails
 * before any answer byte; that probe is sent again once on a fresh connection
 * within the same deadline, so a keep-alive race never fails a check.
 */
import type { ConnectionOptions } from 'node:tls'
import { parseProbeHead, type ProbeHead } from './probe-head.js'
import { probeSockets, type ProbeConn, type ProbeConnHandler } from './probe-socket.js'

export interface ProbeRequest {
  readonly host: string
  readonly port: number
  readonly tls: ConnectionOptions | null
  /** The whole request, head and body, built once per target, ending the connection after the answer. */
  readonly bytes: Buffer
  /** The same request as HTTP/1.1, which keeps the connection unless the replica ends it. */
  readonly keepAliveBytes: Buffer
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
/** A kept connection is not reused within this long of the replica's idle timeout (undici keeps the same margin). */
const KEEP_ALIVE_MARGIN_MS = 1_000
const CLOSED = 'connection closed before an answer'
/** A replica that would not keep the connection is asked again every this many probes (its settings may change). */
const KEEP_ALIVE_RETRY_EVERY = 16

export function buildProbeRequest (url: URL, path: string, body: string | null, tls: ConnectionOptions | null): ProbeRequest {
  const https = url.protocol === 'https:'
  const port = url.port !== '' ? Number(url.port) : https ? 443 : 80
  const payload = body === null ? null : Buffer.from(body)
  const build = (connection: string): Buffer => {
    const head = `${payload === null ? 'GET' : 'POST'} ${path} HTTP/${connection === 'close' ? '1.0' : '1.1'}\r\nhost: ${url.host}\r\nuser-agent: model-gateway-health\r\nconnection: ${connection}\r\n` +
      (payload === null ? '\r\n' : `content-type: application/json\r\ncontent-length: ${payload.length}\r\n\r\n`)
    return payload === null ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), payload])
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  return { host, port, tls: https ? { servername: host, ...tls } : null, bytes: build('close'), keepAliveBytes: build('keep-alive') }
}

export interface Probe {
  /** The status (and the body up to `maxBody` bytes); rejects with a ProbeError. */
  readonly result: Promise<ProbeResponse>
  /** Ends the probe at once (shutdown), as a failure named 'aborted'. */
  abort (): void
}

/** One probe on a connection of its own, closed after the answer. */
export function sendProbe (req: ProbeRequest, timeoutMs: number, maxBody: number): Probe {
  return new ProbeChannel(req).send(timeoutMs, maxBody, 0)
}

/** Probes of one target, one at a time, over a connection kept while the replica allows. */
export class ProbeChannel implements ProbeConnHandler {
  readonly #req: ProbeRequest
  #conn: ProbeConn | null = null
  /** performance.now() after which a kept connection is not reused. */
  #keptUntil = 0
  /** Probes since the replica last declined to keep the connection long enough; -1 while it keeps it. */
  #sinceDeclined = -1
  // The exchange in progress (none while the connection is idle).
  #resolve: ((r: ProbeResponse) => void) | null = null
  #reject: ((e: ProbeError) => void) | null = null
  #timer: NodeJS.Timeout | undefined
  #reused = false
  #keepForMs = 0
  #maxBody = 0
  #head: Buffer | null = null
  #answer: ProbeHead | null = null
  #bodyLeft = -1
  #body: Buffer[] = []
  #bodyBytes = 0

  constructor (req: ProbeRequest) {
    this.#req = req
  }

  /**
   * Sends the request. `keepForMs` is the longest the connection would sit idle
   * before the next probe; 0, or a probe that reads the body, asks the replica
   * to close it after the answer.
   */
  send (timeoutMs: number, maxBody: number, keepForMs: number): Probe {
    if (this.#resolve !== null) throw new Error('a probe is already in flight on this channel')
    const result = new Promise<ProbeResponse>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    // A replica that closes idle connections sooner than the next probe gets the one-shot request: a kept
    // connection would only be closed by the gateway instead of by the replica.
    const ask = maxBody === 0 && keepForMs > 0 && (this.#sinceDeclined < 0 || ++this.#sinceDeclined % KEEP_ALIVE_RETRY_EVERY === 0)
    this.#keepForMs = ask ? keepForMs : 0
    this.#maxBody = maxBody
    this.#timer = setTimeout(this.#onTimeout, timeoutMs)
    const c = this.#conn
    if (c !== null && this.#keepForMs > 0 && performance.now() < this.#keptUntil) {
      this.#reused = true
      this.#reset()
      c.socket.ref()
      c.socket.write(this.#req.keepAliveBytes)
    } else {
      this.#drop()
      this.#connect()
    }
    return { result, abort: this.#abort }
  }

  /** Ends the kept connection (the target is gone). */
  close (): void {
    if (this.#resolve !== null) this.#finish(new ProbeError('aborted'))
    this.#drop()
  }

  #connect (): void {
    const req = this.#req
    this.#reused = false
    this.#reset()
    this.#conn = probeSockets.open(this, req.host, req.port, req.tls)
  }

  // onConnect, onData and onEnd are called by the channel's connection (ProbeConnHandler), never by its user.
  // write, not end: some servers stop answering a client that half-closed; the connection header ends the exchange.
  onConnect (): void {
    this.#conn?.socket.write(this.#keepForMs > 0 ? this.#req.keepAliveBytes : this.#req.bytes)
  }

  onEnd (errorCode: string | null): void {
    this.#onEnd(errorCode === null ? null : new ProbeError(errorCode))
  }

  #reset (): void {
    this.#head = null
    this.#answer = null
    this.#bodyLeft = -1
    // A probe that reads no body leaves the array empty: nothing to replace.
    if (this.#body.length !== 0) this.#body = []
    this.#bodyBytes = 0
  }

  #drop (): void {
    const c = this.#conn
    this.#conn = null
    c?.release()
  }

  readonly #onTimeout = (): void => { this.#finish(new ProbeError('timeout')) }
  readonly #abort = (): void => { if (this.#resolve !== null) this.#finish(new ProbeError('aborted')) }

  /** `chunk` may be a view of a shared read buffer: what is kept past this call is copied. */
  onData (chunk: Buffer): void {
    // Bytes on an idle connection answer nothing that was asked: the connection is not trusted again.
    if (this.#resolve === null) {
      this.#drop()
      return
    }
    if (this.#answer === null) {
      const head = this.#head === null ? chunk : Buffer.concat([this.#head, chunk])
      const end = head.indexOf(HEAD_END)
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) this.#finish(new ProbeError('response head too large'))
        else this.#head = head === chunk ? Buffer.from(chunk) : head
        return
      }
      const answer = parseProbeHead(head, end)
      if (answer === null) {
        this.#finish(new ProbeError('not an HTTP response'))
        return
      }
      this.#answer = answer
      this.#bodyLeft = answer.contentLength
      chunk = head.subarray(end + HEAD_END.length)
      this.#head = null
    }
    this.#onBody(chunk)
  }

  #onBody (chunk: Buffer): void {
    if (this.#bodyBytes < this.#maxBody) {
      this.#body.push(Buffer.from(chunk))
      this.#bodyBytes += chunk.length
    }
    if (this.#bodyLeft >= 0) {
      this.#bodyLeft -= chunk.length
      if (this.#bodyLeft <= 0) this.#finish(null)
      else if (this.#keepForMs === 0 && this.#bodyBytes >= this.#maxBody) this.#finish(null)
    } else if (this.#bodyBytes >= this.#maxBody) {
      // No length: the body runs to the end of the connection; the status (and the capped body) is all a probe reads.
      this.#finish(null)
    }
  }

  #onEnd (err: ProbeError | null): void {
    if (this.#resolve === null) {
      // The replica closed the kept connection before the next probe: it does not hold one that long.
      this.#sinceDeclined = 0
      this.#drop()
      return
    }
    if (this.#answer === null && this.#reused && this.#head === null) {
      // The replica closed the kept connection as the probe was written: once more, fresh.
      this.#sinceDeclined = 0
      this.#drop()
      this.#connect()
      return
    }
    this.#finish(this.#answer === null ? (err ?? new ProbeError(CLOSED)) : null)
  }

  #finish (err: ProbeError | null): void {
    const resolve = this.#resolve
    const reject = this.#reject
    if (resolve === null || reject === null) return
    this.#resolve = null
    this.#reject = null
    clearTimeout(this.#timer)
    this.#timer = undefined
    const answer = this.#answer
    if (err === null && answer !== null && this.#keep(answer)) {
      this.#conn!.socket.unref()
    } else {
      this.#drop()
    }
    if (err !== null) reject(err)
    else resolve({ status: answer!.status, body: this.#body.length === 0 ? '' : Buffer.concat(this.#body).toString('utf8') })
  }

  /** Keeps the connection when the whole answer was read and the replica will hold it past the next probe. */
  #keep (answer: ProbeHead): boolean {
    if (this.#keepForMs === 0 || this.#conn === null) return false
    const holdMs = answer.keepAliveMs - KEEP_ALIVE_MARGIN_MS
    // bodyLeft is 0 once a Content-Length body was read whole; a chunked or unframed answer cannot be skipped.
    if (answer.close || this.#bodyLeft !== 0 || (answer.keepAliveMs >= 0 && holdMs <= this.#keepForMs)) {
      this.#sinceDeclined = 0
      return false
    }
    this.#sinceDeclined = -1
    this.#keptUntil = answer.keepAliveMs >= 0 ? performance.now() + holdMs : Number.POSITIVE_INFINITY
    return true
  }
}
