/**
 * What a health probe reads from an answer's head: the status, the body's
 * length, and whether the replica keeps the connection and for how long.
 */

export interface ProbeHead {
  status: number
  /** Content-Length; -1 when absent (the body runs to the end of the connection). */
  contentLength: number
  /** The replica ends the connection: `Connection: close`, or an HTTP/1.0 answer without `Connection: keep-alive` (RFC 9112 §9.3). */
  close: boolean
  /** The replica's `Keep-Alive: timeout=N` in ms; -1 when it gives none (nginx and Go's net/http by default). */
  keepAliveMs: number
}

/** Parses the head up to `end` (the index of the blank line); null when it is not an HTTP status line. */
export function parseProbeHead (head: Buffer, end: number): ProbeHead | null {
  const status = parseStatus(head)
  if (status === 0) return null
  const http10 = head[7] === 0x30 && head[5] === 0x31
  const out: ProbeHead = { status, contentLength: -1, close: http10, keepAliveMs: -1 }
  const text = head.toString('latin1', 0, end)
  let chunked = false
  let at = text.indexOf('\r\n')
  while (at >= 0 && at < text.length) {
    const next = text.indexOf('\r\n', at + 2)
    const line = text.slice(at + 2, next < 0 ? text.length : next)
    at = next
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (name === 'content-length') out.contentLength = /^\d+$/.test(value) ? Number(value) : -1
    else if (name === 'connection') out.close = http10 ? value.toLowerCase() !== 'keep-alive' : value.toLowerCase().includes('close')
    else if (name === 'transfer-encoding') chunked = true
    else if (name === 'keep-alive') {
      const m = /(?:^|[,\s])timeout\s*=\s*(\d+)/i.exec(value)
      if (m !== null) out.keepAliveMs = Number(m[1]) * 1000
    }
  }
  // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3); a probe does not decode chunks.
  if (chunked) out.contentLength = -1
  return out
}

/** "HTTP/1.1 200 OK" -> 200; 0 when the line is not a status line. */
function parseStatus (head: Buffer): number {
  // 'HTTP/' + 'x.y' + ' ' + 3 digits
  if (head.length < 12 || head.toString('latin1', 0, 5) !== 'HTTP/' || head[8] !== 0x20) return 0
  const s = (head[9]! - 48) * 100 + (head[10]! - 48) * 10 + (head[11]! - 48)
  return s >= 100 && s <= 599 ? s : 0
}
