/**
 * A tiny protobuf field reader and writer for the few fields the gateway
 * touches in Open Inference Protocol gRPC messages (proto/grpc_predict_v2.proto):
 * the model name, version and id of ModelInferRequest / ModelInferResponse /
 * ModelMetadataRequest / ModelReadyRequest (fields 1, 2 and 3 of each), and the
 * size of the raw tensor contents. Everything else is skipped by its length,
 * never decoded, and passed on as the bytes it came as (raw_input_contents
 * included). A rewrite drops fields 1 and 2 and writes the new ones in front
 * of the untouched rest: one copy of the message, no decode.
 *
 * Wire format: https://protobuf.dev/programming-guides/encoding/ (a field is a
 * varint key `number << 3 | wire type`, then a varint, 8 bytes, 4 bytes, or a
 * varint length and that many bytes).
 */

const VARINT = 0
const I64 = 1
const LEN = 2
const I32 = 5

/** What a scan found. Strings are '' when the field is absent, as proto3 reads them. */
export interface WireFields {
  name: string
  version: string
  id: string
  /** Bytes of the repeated `bytes` field of raw tensor contents (7 in a request, 6 in a response). */
  rawBytes: number
  /** Whether fields 1 or 2 occur anywhere but as the leading run: a rewrite must then copy in pieces. */
  scattered: boolean
  /** Where the fields after the leading fields 1 and 2 start. */
  restAt: number
}

export class WireError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'WireError'
  }
}

/**
 * Reads fields 1, 2 and 3 (strings) of a message and adds up the lengths of
 * field `rawField` (0: none). Throws WireError when the bytes are not a
 * well-formed message or a read field has another wire type.
 */
export function scanFields (buf: Buffer, rawField: number): WireFields {
  const out: WireFields = { name: '', version: '', id: '', rawBytes: 0, scattered: false, restAt: 0 }
  const end = buf.length
  let at = 0
  let leading = true
  while (at < end) {
    const keyAt = at
    const key = readVarint(buf, at)
    at = varintEnd
    const field = Math.floor(key / 8)
    const type = key & 7
    if (field === 0) throw new WireError(`field number 0 at byte ${keyAt}`)
    if (type === LEN) {
      const len = readVarint(buf, at)
      const start = varintEnd
      at = start + len
      if (at > end) throw new WireError(`field ${field} at byte ${keyAt} runs past the end of the message (${len} bytes declared, ${end - start} left)`)
      if (field <= 3) {
        const s = buf.toString('utf8', start, at)
        if (field === 1) out.name = s
        else if (field === 2) out.version = s
        else out.id = s
      } else if (field === rawField) out.rawBytes += len
    } else {
      if (field <= 3 || field === rawField) throw new WireError(`field ${field} at byte ${keyAt} has wire type ${type}; a string or bytes field has type ${LEN}`)
      at = skipValue(buf, at, type, keyAt)
    }
    if (field <= 2) {
      if (!leading) out.scattered = true
      else out.restAt = at
    } else leading = false
  }
  return out
}

/**
 * The message with fields 1 and 2 replaced by `name` and `version` (an empty
 * string leaves the field out, as proto3 writes its default). The rest of the
 * message is copied as it is.
 */
export function rewriteNameVersion (buf: Buffer, scan: WireFields, name: string, version: string): Buffer {
  const nameLen = Buffer.byteLength(name)
  const versionLen = Buffer.byteLength(version)
  const head = stringFieldSize(nameLen) + stringFieldSize(versionLen)
  if (!scan.scattered) {
    const out = Buffer.allocUnsafe(head + buf.length - scan.restAt)
    let at = writeStringField(out, 0, 1, name, nameLen)
    at = writeStringField(out, at, 2, version, versionLen)
    buf.copy(out, at, scan.restAt)
    return out
  }
  const kept = keptRanges(buf)
  let size = head
  for (let i = 0; i < kept.length; i += 2) size += kept[i + 1]! - kept[i]!
  const out = Buffer.allocUnsafe(size)
  let at = writeStringField(out, 0, 1, name, nameLen)
  at = writeStringField(out, at, 2, version, versionLen)
  for (let i = 0; i < kept.length; i += 2) at += buf.copy(out, at, kept[i]!, kept[i + 1]!)
  return out
}

/** A message of string fields (number -> value, '' left out) and bool fields, for the small answers the gateway writes. */
export function encodeMessage (fields: ReadonlyArray<readonly [number, string | boolean | readonly string[]]>): Buffer {
  let size = 0
  for (const [, v] of fields) {
    if (typeof v === 'boolean') size += v ? 2 : 0
    else if (typeof v === 'string') size += v === '' ? 0 : stringFieldSize(Buffer.byteLength(v))
    else for (const s of v) size += stringFieldSize(Buffer.byteLength(s), true)
  }
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (const [n, v] of fields) {
    if (typeof v === 'boolean') {
      if (!v) continue
      out[at++] = n << 3
      out[at++] = 1
    } else if (typeof v === 'string') at = writeStringField(out, at, n, v, Buffer.byteLength(v))
    else for (const s of v) at = writeStringField(out, at, n, s, Buffer.byteLength(s), true)
  }
  return out
}

/** [start, end, start, end, …] of everything but fields 1 and 2. */
function keptRanges (buf: Buffer): number[] {
  const kept: number[] = []
  let at = 0
  while (at < buf.length) {
    const fieldAt = at
    const key = readVarint(buf, at)
    at = skipValue(buf, varintEnd, key & 7, fieldAt)
    if (Math.floor(key / 8) <= 2) continue
    if (kept.length > 0 && kept[kept.length - 1] === fieldAt) kept[kept.length - 1] = at
    else kept.push(fieldAt, at)
  }
  return kept
}

function stringFieldSize (len: number, always = false): number {
  return len === 0 && !always ? 0 : 1 + varintSize(len) + len
}

function writeStringField (out: Buffer, at: number, field: number, s: string, len: number, always = false): number {
  if (len === 0 && !always) return at
  out[at++] = (field << 3) | LEN
  at = writeVarint(out, at, len)
  return at + out.write(s, at, len, 'utf8')
}

/** Set by readVarint: the offset after the varint it read (saves an object per read). */
let varintEnd = 0

function readVarint (buf: Buffer, at: number): number {
  let result = 0
  let mul = 1
  for (let i = 0; i < 10; i++) {
    if (at >= buf.length) throw new WireError(`the message ends inside a varint at byte ${at}`)
    const b = buf[at++]!
    result += (b & 0x7f) * mul
    if (b < 0x80) {
      varintEnd = at
      return result
    }
    mul *= 128
  }
  throw new WireError(`varint longer than 10 bytes at byte ${at - 10}`)
}

function skipValue (buf: Buffer, at: number, type: number, keyAt: number): number {
  let next: number
  switch (type) {
    case VARINT: readVarint(buf, at); next = varintEnd; break
    case I64: next = at + 8; break
    case I32: next = at + 4; break
    case LEN: next = readVarint(buf, at) + varintEnd; break
    default: throw new WireError(`field at byte ${keyAt} has unknown wire type ${type}`)
  }
  if (next > buf.length) throw new WireError(`field at byte ${keyAt} runs past the end of the message`)
  return next
}

function varintSize (n: number): number {
  let size = 1
  while (n >= 128) {
    n = Math.floor(n / 128)
    size++
  }
  return size
}

function writeVarint (out: Buffer, at: number, n: number): number {
  while (n >= 128) {
    out[at++] = (n % 128) | 0x80
    n = Math.floor(n / 128)
  }
  out[at++] = n
  return at
}
