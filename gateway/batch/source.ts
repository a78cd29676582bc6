/**
 * Where a worker reads: the CSV header (line 1, read by every partition), the
 * line-aligned byte range of its partition and the number of its first line.
 */
import { open, stat } from 'node:fs/promises'
import { alignToLine, countLines } from './lines.js'
import { byteRange, type Partition, type PartitionBy } from './partition.js'
import { csvHeader, type InputFormat } from './rows.js'

export interface Source {
  size: number
  mtimeMs: number
  /** CSV: column index from the header line. */
  header: Map<string, number> | undefined
  /** This worker's lines start in [start, end). */
  start: number
  end: number
  /** Line number of the line at `start`. */
  firstLine: number
}

const HEADER_MAX_BYTES = 1 << 20

export class InputError extends Error {}

export async function openSource (path: string, format: InputFormat, partition: Partition | undefined, by: PartitionBy): Promise<Source> {
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => { throw new InputError(`cannot read input ${path}: ${err.code ?? err.message}`) })
  if (!st.isFile()) throw new InputError(`input ${path} is not a file`)
  const fh = await open(path, 'r')
  try {
    let header: Map<string, number> | undefined
    let dataStart = 0
    if (format === 'csv') {
      const buf = Buffer.alloc(Math.min(HEADER_MAX_BYTES, st.size))
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
      const nl = buf.subarray(0, bytesRead).indexOf(0x0a)
      if (bytesRead === 0) throw new InputError(`input ${path} is empty: a CSV input needs a header line`)
      if (nl === -1 && bytesRead === HEADER_MAX_BYTES) throw new InputError(`input ${path}: the CSV header line is longer than ${HEADER_MAX_BYTES} bytes`)
      dataStart = nl === -1 ? bytesRead : nl + 1
      try {
        header = csvHeader(buf.toString('utf8', 0, nl === -1 ? bytesRead : nl).replace(/\r$/, ''))
      } catch (err) {
        throw new InputError(`input ${path}: the CSV header line: ${(err as Error).message}`)
      }
    }
    let start = dataStart
    let end = st.size
    if (partition !== undefined && by === 'bytes') {
      const [s, e] = byteRange(partition, dataStart, st.size)
      start = s <= dataStart ? dataStart : await alignToLine(fh, s, st.size)
      end = e
    }
    const firstLine = start === 0 ? 1 : (await countLines(fh, start)) + 1
    return { size: st.size, mtimeMs: st.mtimeMs, header, start, end, firstLine }
  } finally {
    await fh.close()
  }
}
