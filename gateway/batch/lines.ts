/**
 * Reading an input file as lines with their byte offsets, so a partition can
 * own a byte range and a checkpoint can name the offset after the last row it
 * covers (resume with no duplicate and no missing row).
 */
import { open, type FileHandle } from 'node:fs/promises'

const CHUNK_BYTES = 1 << 20
const NEWLINE = 0x0a

export interface Line {
  text: string
  /** 1-based line number in the whole file. */
  line: number
  /** Byte offset just after this line's newline (or the end of the file). */
  end: number
}

/**
 * The first line start at or after `from`: `from` itself when it begins a line
 * (offset 0 or just after a newline), else just after the next newline. A line
 * belongs to the byte range that holds its first byte, so ranges [a, b) and
 * [b, c) never share a line and together miss none.
 */
export async function alignToLine (fh: FileHandle, from: number, size: number): Promise<number> {
  if (from <= 0) return 0
  if (from >= size) return size
  const buf = Buffer.allocUnsafe(CHUNK_BYTES)
  let pos = from - 1
  while (pos < size) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, pos)
    if (bytesRead === 0) break
    const i = buf.subarray(0, bytesRead).indexOf(NEWLINE)
    if (i !== -1) return pos + i + 1
    pos += bytesRead
  }
  return size
}

/** Newlines in [0, upTo): the line number of the line starting at upTo, minus one. */
export async function countLines (fh: FileHandle, upTo: number): Promise<number> {
  const buf = Buffer.allocUnsafe(CHUNK_BYTES)
  let count = 0
  let pos = 0
  while (pos < upTo) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK_BYTES, upTo - pos), pos)
    if (bytesRead === 0) break
    let i = -1
    const view = buf.subarray(0, bytesRead)
    while ((i = view.indexOf(NEWLINE, i + 1)) !== -1) count++
    pos += bytesRead
  }
  return count
}

/**
 * Lines starting in [start, end), read from `start` (which must begin a line),
 * yielded a chunk at a time. Blank lines are counted but not yielded. A line
 * may run past `end`: it is read whole.
 */
export async function * readLines (path: string, start: number, end: number, firstLine: number): AsyncGenerator<Line[]> {
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES)
    let carry: Buffer | undefined
    let carryStart = start
    let pos = start
    let line = firstLine
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, pos)
      const data = carry === undefined ? buf.subarray(0, bytesRead) : Buffer.concat([carry, buf.subarray(0, bytesRead)])
      const base = carryStart
      const out: Line[] = []
      let from = 0
      let stop = false
      for (;;) {
        if (base + from >= end) {
          stop = true
          break
        }
        const nl = data.indexOf(NEWLINE, from)
        if (nl === -1) break
        push(out, data, from, nl, line, base + nl + 1)
        line++
        from = nl + 1
      }
      pos += bytesRead
      if (bytesRead === 0 && !stop && from < data.length) {
        // The last line has no newline.
        push(out, data, from, data.length, line, base + data.length)
        line++
        from = data.length
      }
      if (out.length > 0) yield out
      if (stop || bytesRead === 0) return
      carry = from < data.length ? Buffer.from(data.subarray(from)) : undefined
      carryStart = base + from
    }
  } finally {
    await fh.close()
  }
}

function push (out: Line[], data: Buffer, from: number, to: number, line: number, end: number): void {
  let last = to
  if (last > from && data[last - 1] === 0x0d) last--
  const text = data.toString('utf8', from, last)
  if (text.trim() !== '') out.push({ text, line, end })
}
