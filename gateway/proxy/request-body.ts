/**
 * A buffered request body. A small body (every JSON inference request) arrives
 * in one socket chunk and is that Buffer. A large one (a binary tensor batch)
 * arrives in many chunks of up to 64 KiB, each already its own Buffer (node's
 * HTTP parser copies every chunk). Joining them allocated and copied the whole
 * body once more per request; for 1 MiB binary requests that copy and the
 * garbage collections its allocations caused were the largest cost the gateway
 * had over nginx (bench/, binary row). So a body of several chunks stays in
 * chunks: it is joined only when something needs it in one piece (JSON
 * validation, inflating, a sampled record), and otherwise sent on chunk by chunk.
 */
export class ChunkedBody {
  #joined: Buffer | null = null

  constructor (readonly chunks: readonly Buffer[], readonly byteLength: number) {}

  /** The whole body in one Buffer: joined on first use, then kept. */
  join (): Buffer {
    this.#joined ??= Buffer.concat(this.chunks, this.byteLength)
    return this.#joined
  }

  /** The joined body when something already needed it, else null. */
  get joined (): Buffer | null {
    return this.#joined
  }

  /** The first `n` bytes (n ≤ byteLength) in one Buffer: a view when the first chunk holds them. */
  head (n: number): Buffer {
    const first = this.chunks[0]!
    if (n <= first.length) return first.subarray(0, n)
    if (this.#joined !== null) return this.#joined.subarray(0, n)
    const out = Buffer.allocUnsafe(n)
    let at = 0
    for (const c of this.chunks) {
      if (at >= n) break
      at += c.copy(out, at, 0, Math.min(c.length, n - at))
    }
    return out
  }
}

export type RequestBody = Buffer | ChunkedBody

export function bodyLength (b: RequestBody): number {
  return b instanceof ChunkedBody ? b.byteLength : b.length
}

/** The body in one Buffer (joins a chunked body). */
export function wholeBody (b: RequestBody): Buffer {
  return b instanceof ChunkedBody ? b.join() : b
}

/**
 * Gives `target.requestBody` the joined chunked body, joined only if someone
 * reads it: an observer that keeps bodies (a sampled record). Most large bodies
 * are never sampled, and joining one costs a copy of it. Assigning (an inflated
 * body) replaces it, as for a plain property.
 */
export function joinOnRead (target: { requestBody: Buffer | null }, body: ChunkedBody): void {
  let replaced: Buffer | null | undefined
  Object.defineProperty(target, 'requestBody', {
    get: () => replaced === undefined ? body.join() : replaced,
    set: (v: Buffer | null) => { replaced = v },
    enumerable: true,
    configurable: true
  })
}
