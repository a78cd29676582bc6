import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alignToLine, countLines, readLines } from '../../gateway/batch/lines.js'
import { byteRange, parsePartition } from '../../gateway/batch/partition.js'
import { seeded } from '../support/seeded-random.js'

// Byte-range partitions, aligned to line starts, give every line of a file to
// exactly one of N readers, with its true line number, whatever the line
// lengths (from empty to longer than a range) and whether the file ends in a newline.

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'batch-bytes-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

async function linesOfPartitions (file: string, count: number): Promise<Array<{ text: string, line: number }>> {
  const fh = await open(file, 'r')
  const size = (await fh.stat()).size
  const got: Array<{ text: string, line: number }> = []
  try {
    for (let index = 0; index < count; index++) {
      const [s, e] = byteRange({ index, count }, 0, size)
      const start = await alignToLine(fh, s, size)
      const first = (await countLines(fh, start)) + 1
      for await (const chunk of readLines(file, start, e, first)) got.push(...chunk.map(l => ({ text: l.text, line: l.line })))
    }
  } finally {
    await fh.close()
  }
  return got
}

describe('byte-range partitions', () => {
  it('cover every non-blank line exactly once, with its line number, for 1 to 9 partitions over 30 random files', async () => {
    const random = seeded(7)
    for (let f = 0; f < 30; f++) {
      const lines: string[] = []
      const n = 1 + Math.floor(random() * 60)
      for (let i = 0; i < n; i++) lines.push(random() < 0.1 ? '' : `row-${i}-${'x'.repeat(Math.floor(random() * (random() < 0.1 ? 400 : 20)))}`)
      const file = join(dir, `f${f}.txt`)
      await writeFile(file, lines.join('\n') + (random() < 0.5 ? '\n' : ''))
      const expected = lines.map((text, i) => ({ text, line: i + 1 })).filter(l => l.text !== '')
      for (let count = 1; count <= 9; count++) {
        expect(await linesOfPartitions(file, count)).toEqual(expected)
      }
    }
  })

  it('parsePartition accepts i/N with i < N and names the problem otherwise', () => {
    expect(parsePartition('3/4')).toEqual({ index: 3, count: 4 })
    expect(() => parsePartition('4/4')).toThrow('--partition 4/4: i must be below N (0 to 3)')
    expect(() => parsePartition('0/0')).toThrow('--partition 0/0: N must be 1 to 100000')
    expect(() => parsePartition('a/4')).toThrow('--partition must be i/N (e.g. 0/4), got "a/4"')
  })
})
