/**
 * One assignment-ledger row in ClickHouse's RowBinary format: fixed-width
 * little-endian numbers and length-prefixed strings, in the column order of
 * LEDGER_COLUMNS. The gateway writes rows straight into a byte segment (no
 * object, no JSON per request); the sink checks a segment's framing and hands
 * the bytes to ClickHouse as they are (`INSERT … FORMAT RowBinary`), so no side
 * parses a ledger row into fields on the way. RowBinary has no header and is
 * read the same way by ClickHouse 18.16 and current servers (a LowCardinality
 * column takes the plain String encoding).
 */

/** Insert column order; the encoder and the decoder follow it. */
export const LEDGER_COLUMNS = ['time', 'millis', 'request_id', 'model', 'version', 'release', 'bucket', 'status', 'prediction', 'has_prediction'] as const

/** Bucket of a request without a sticky key (its version was drawn at random, or named). */
export const NO_BUCKET = 65_535

/** Longest request id kept (the data plane's x-request-id limit); UTF-8 is at most 3 bytes per UTF-16 unit here. */
export const MAX_ID_BYTES = 128 * 3

/** A string's RowBinary encoding: LEB128 length, then the UTF-8 bytes. */
export function encodeString (s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8')
  const head = Buffer.allocUnsafe(varintLength(bytes.length))
  writeVarint(head, 0, bytes.length)
  return Buffer.concat([head, bytes])
}

export function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

export function writeVarint (buf: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  buf[at++] = n
  return at
}

/** Model, version and release as the three consecutive string columns of a row (encoded once per lane and release). */
export function encodeNames (model: string, version: string, release: string): Buffer {
  return Buffer.concat([encodeString(model), encodeString(version), encodeString(release)])
}

/** Bytes a row needs at most, given its encoded names. */
export function maxRowBytes (names: number): number {
  // time 4, millis 2, id varint 2 + bytes, bucket 2, status 2, prediction 8, flag 1
  return 4 + 2 + 2 + MAX_ID_BYTES + names + 2 + 2 + 8 + 1
}

/**
 * Writes one row at `at` and returns the offset after it; the caller made
 * sure maxRowBytes() fit. Arguments rather than an object: this runs for every
 * request. An ASCII id (the usual UUID) is copied char by char, cheaper than
 * the two native calls a UTF-8 write takes; `prediction` NaN means none.
 */
export function writeRow (buf: Buffer, at: number, startedAt: number, requestId: string, bucket: number, status: number, prediction: number, names: Buffer): number {
  const seconds = Math.floor(startedAt / 1000)
  buf.writeUInt32LE(seconds, at)
  buf.writeUInt16LE(startedAt - seconds * 1000, at + 4)
  at += 6
  // An id longer than the limit never reaches here (the data plane replaces it); cut defensively anyway.
  const id = requestId.length > 128 ? requestId.slice(0, 128) : requestId
  at = writeId(buf, at, id)
  if (names.length <= 32) for (let k = 0; k < names.length; k++) buf[at + k] = names[k]!
  else names.copy(buf, at)
  at += names.length
  buf.writeUInt16LE(bucket, at)
  buf.writeUInt16LE(status > 65_535 || status < 0 ? 0 : status, at + 2)
  const has = !Number.isNaN(prediction)
  buf.writeDoubleLE(has ? prediction : 0, at + 4)
  buf[at + 12] = has ? 1 : 0
  return at + 13
}

function writeId (buf: Buffer, at: number, id: string): number {
  const n = id.length
  if (n < 128) {
    let ascii = true
    for (let k = 0; k < n; k++) {
      const c = id.charCodeAt(k)
      if (c > 0x7f) { ascii = false; break }
      buf[at + 1 + k] = c
    }
    if (ascii) {
      buf[at] = n
      return at + 1 + n
    }
  }
  const bytes = Buffer.byteLength(id, 'utf8')
  at = writeVarint(buf, at, bytes)
  return at + buf.write(id, at, bytes, 'utf8')
}

export interface LedgerRow {
  time: number
  millis: number
  request_id: string
  model: string
  version: string
  release: string
  bucket: number
  status: number
  prediction: number
  has_prediction: number
}

export class LedgerFormatError extends Error {}

/**
 * Walks a segment row by row: the number of rows, or LedgerFormatError naming
 * the byte where the framing breaks (a truncated or foreign message, which the
 * sink must not hand to ClickHouse: one bad row fails the whole insert).
 * With `rows`, decoded rows are appended to it.
 */
export function decodeLedger (buf: Buffer, rows?: LedgerRow[]): number {
  let at = 0
  let n = 0
  const need = (k: number): void => { if (at + k > buf.length) throw new LedgerFormatError(`row ${n} is cut off at byte ${buf.length} (needs ${at + k})`) }
  const str = (what: string, max: number): string => {
    let len = 0
    let shift = 1
    for (let i = 0; ; i++) {
      need(1)
      const b = buf[at++]!
      len += (b & 0x7f) * shift
      if (b < 0x80) break
      shift *= 128
      if (i > 3) throw new LedgerFormatError(`row ${n}: ${what} length is not a valid varint`)
    }
    if (len > max) throw new LedgerFormatError(`row ${n}: ${what} is ${len} bytes; at most ${max}`)
    need(len)
    const s = rows === undefined ? '' : buf.toString('utf8', at, at + len)
    at += len
    return s
  }
  while (at < buf.length) {
    need(6)
    const time = buf.readUInt32LE(at)
    const millis = buf.readUInt16LE(at + 4)
    if (millis > 999) throw new LedgerFormatError(`row ${n}: millis ${millis} is over 999`)
    at += 6
    const id = str('request_id', MAX_ID_BYTES)
    const model = str('model', 1024)
    const version = str('version', 1024)
    const release = str('release', 4096)
    need(13)
    const bucket = buf.readUInt16LE(at)
    const status = buf.readUInt16LE(at + 2)
    const prediction = buf.readDoubleLE(at + 4)
    const has = buf[at + 12]!
    if (has > 1) throw new LedgerFormatError(`row ${n}: has_prediction is ${has}`)
    at += 13
    rows?.push({ time, millis, request_id: id, model, version, release, bucket, status, prediction, has_prediction: has })
    n++
  }
  return n
}
