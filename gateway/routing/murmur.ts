/**
 * murmurhash3_32 of a string, equal to `murmurhash.v3(key, seed)`, without its
 * per-call TextEncoder allocation: for an ASCII key the UTF-8 bytes are the char
 * codes, so the key is hashed in place. That encode was about a sixth of the
 * per-record CPU at 100% sampling (profiled with bench/pipeline.ts).
 * A key with any non-ASCII character goes to the library, which encodes it.
 */
import murmurhash from 'murmurhash'

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

export function murmur3 (key: string, seed: number): number {
  const len = key.length
  const tail = len & 3
  const blocks = len - tail
  let h = seed | 0
  let i = 0
  while (i < blocks) {
    const a = key.charCodeAt(i)
    const b = key.charCodeAt(i + 1)
    const c = key.charCodeAt(i + 2)
    const d = key.charCodeAt(i + 3)
    if ((a | b | c | d) > 0x7f) return murmurhash.v3(key, seed)
    let k = a | (b << 8) | (c << 16) | (d << 24)
    k = Math.imul(k, C1)
    k = (k << 15) | (k >>> 17)
    h ^= Math.imul(k, C2)
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
    i += 4
  }
  if (tail > 0) {
    let k = 0
    for (let j = tail - 1; j >= 0; j--) {
      const c = key.charCodeAt(i + j)
      if (c > 0x7f) return murmurhash.v3(key, seed)
      k ^= c << (8 * j)
    }
    k = Math.imul(k, C1)
    k = (k << 15) | (k >>> 17)
    h ^= Math.imul(k, C2)
  }
  h ^= len
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
