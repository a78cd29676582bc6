/**
 * Buffers a request body up to a limit. Model requests are small: one Buffer
 * handed to undici costs less than streaming (see ARCHITECTURE.md, "What the hot
 * path costs"), and the sampler can record it without a second copy. A body of
 * several chunks is kept as its chunks (proxy/request-body.ts says why).
 */
import type { IncomingMessage } from 'node:http'
import { ChunkedBody, type RequestBody } from '../proxy/request-body.js'

export type BodyResult = RequestBody | 'too-large' | 'aborted'

const EMPTY = Buffer.alloc(0)

/** The most of a refused body that is read and dropped so the client can read the answer. */
export const DISCARD_MAX_BYTES = 32 * 1024 * 1024
/** The longest a refused body is read and dropped; then the connection is cut. */
export const DISCARD_MAX_MS = 5_000

export function readBody (req: IncomingMessage, limit: number, done: (r: BodyResult) => void): void {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > limit) {
    done('too-large')
    return
  }
  const chunks: Buffer[] = []
  let size = 0
  let finished = false
  const finish = (r: BodyResult): void => {
    if (finished) return
    finished = true
    done(r)
  }
  req.on('data', (chunk: Buffer) => {
    if (finished) return
    size += chunk.length
    if (size > limit) {
      finish('too-large')
      return
    }
    chunks.push(chunk)
  })
  req.on('end', () => { finish(chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : new ChunkedBody(chunks, size)) })
  // 'close' comes after 'end' when the body was read, and alone when the client went
  // away first; one listener in place of 'error' and 'aborted' (node 20 emits 'error'
  // on an aborted request only to listeners that exist).
  req.on('close', () => { finish('aborted') })
}

/**
 * Whether the rest of a refused body is worth reading: a body declared larger
 * than DISCARD_MAX_BYTES would be cut anyway, so its connection is closed at once.
 */
export function discardable (req: IncomingMessage): boolean {
  const declared = req.headers['content-length']
  return declared === undefined || Number(declared) <= DISCARD_MAX_BYTES
}

/**
 * Reads and drops the rest of a body the gateway refused (413). Closing a
 * connection with unread bytes in its receive buffer makes the kernel send a
 * reset, and a client still writing its body then gets EPIPE or ECONNRESET and
 * drops the answer it was sent (Node's fetch often does; curl and Python's
 * requests read it because they stop or finish writing first). So the answer
 * goes out on a connection that stays usable, the body is drained, and only a
 * body past DISCARD_MAX_BYTES or DISCARD_MAX_MS gets its connection cut.
 */
export function discardBody (req: IncomingMessage, maxBytes = DISCARD_MAX_BYTES, maxMs = DISCARD_MAX_MS): void {
  if (req.complete) return
  let seen = 0
  const cut = (): void => {
    clearTimeout(timer)
    req.socket.destroy()
  }
  const timer = setTimeout(cut, maxMs)
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length
    if (seen > maxBytes) cut()
  })
  // Cleared once the body is in: the connection may carry the client's next request.
  req.on('end', () => { clearTimeout(timer) })
  req.on('close', () => { clearTimeout(timer) })
  req.resume()
}
