/**
 * Buffers a request body up to a limit. Model requests are small: one Buffer
 * handed to undici costs less than streaming (see ARCHITECTURE.md, "What the hot
 * path costs"), and the sampler can record it without a second copy.
 */
import type { IncomingMessage } from 'node:http'

export type BodyResult = Buffer | 'too-large' | 'aborted'

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
  req.on('end', () => { finish(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)) })
  req.on('error', () => { finish('aborted') })
  req.on('aborted', () => { finish('aborted') })
}
