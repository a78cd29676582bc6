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
