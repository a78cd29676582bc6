/**
 * A bounded FIFO of serialised messages between the request path and a slow
 * consumer (Kafka, a file). Bounded by count and by bytes: a push beyond either
 * bound is refused and counted, never waited on. Messages stay in the queue
 * until the consumer confirms them (`release`), so a failed send is retried and
 * memory in use is exactly what the gauges show.
 */
export interface BufferedMessage {
  key: string
  value: string
}

export class BoundedBuffer {
  readonly maxRecords: number
  readonly maxBytes: number
  readonly #keys: string[]
  readonly #values: string[]
  #head = 0
  #size = 0
  #bytes = 0
  #dropped = 0

  constructor (maxRecords: number, maxBytes: number) {
    if (!Number.isInteger(maxRecords) || maxRecords < 1) throw new RangeError(`maxRecords must be an integer >= 1, got ${maxRecords}`)
    if (!(maxBytes >= 1)) throw new RangeError(`maxBytes must be >= 1, got ${maxBytes}`)
    this.maxRecords = maxRecords
    this.maxBytes = maxBytes
    this.#keys = new Array<string>(maxRecords)
    this.#values = new Array<string>(maxRecords)
  }

  /**
   * Size of a message in bytes, as counted against maxBytes. UTF-16 length is used
   * instead of the UTF-8 byte length to keep the push cheap: it equals it for
   * ASCII and undercounts other text by at most a factor of three.
   */
  static sizeOf (key: string, value: string): number {
    return key.length + value.length
  }

  /** false (and counted as dropped) when the message does not fit. */
  push (key: string, value: string): boolean {
    const n = BoundedBuffer.sizeOf(key, value)
    if (this.#size >= this.maxRecords || this.#bytes + n > this.maxBytes) {
      this.#dropped++
      return false
    }
    const i = (this.#head + this.#size) % this.maxRecords
    this.#keys[i] = key
    this.#values[i] = value
    this.#size++
    this.#bytes += n
    return true
  }

  /** Copies up to maxCount messages (and at most about maxBytes, at least one) from the front without removing them. */
  peek (maxCount: number, maxBytes = Infinity): BufferedMessage[] {
    const out: BufferedMessage[] = []
    let bytes = 0
    const n = Math.min(maxCount, this.#size)
    for (let k = 0; k < n; k++) {
      const i = (this.#head + k) % this.maxRecords
      const key = this.#keys[i]!
      const value = this.#values[i]!
      bytes += BoundedBuffer.sizeOf(key, value)
      if (k > 0 && bytes > maxBytes) break
      out.push({ key, value })
    }
    return out
  }

  /** Removes the first n messages (after the consumer confirmed them). */
  release (n: number): void {
    n = Math.min(n, this.#size)
    for (let k = 0; k < n; k++) {
      const i = this.#head
      this.#bytes -= BoundedBuffer.sizeOf(this.#keys[i]!, this.#values[i]!)
      this.#keys[i] = ''
      this.#values[i] = ''
      this.#head = (this.#head + 1) % this.maxRecords
      this.#size--
    }
    if (this.#size === 0) this.#head = 0
  }

  get size (): number { return this.#size }
  get bytes (): number { return this.#bytes }
  /** Pushes refused since the last takeDropped(). */
  takeDropped (): number {
    const d = this.#dropped
    this.#dropped = 0
    return d
  }
}
