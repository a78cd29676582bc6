/**
 * A model stand-in for data-plane tests that need to see exactly what reached
 * the model (paths, headers, body bytes) or to misbehave on purpose: a real
 * node:http server on 127.0.0.1, port 0. Behaviour per request is chosen by
 * `mode`; every request is recorded, with whether its client went away.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type UpstreamMode =
  /** Answers 200 with the request body as it came and the same binary-extension header. */
  | 'echo'
  /** Never answers (until closed). */
  | 'hang'
  /** Answers 200 and sends one body byte every 50 ms, without end. */
  | 'trickle'

export interface SeenRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: Buffer
  /** The client closed the connection before the answer was complete. */
  clientGone: boolean
}

export interface RecordingUpstream {
  readonly url: string
  readonly seen: SeenRequest[]
  mode: UpstreamMode
  close(): Promise<void>
}

export async function startRecordingUpstream (mode: UpstreamMode = 'echo'): Promise<RecordingUpstream> {
  const seen: SeenRequest[] = []
  const open = new Set<ServerResponse>()
  const timers = new Set<NodeJS.Timeout>()
  const state = { mode }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const rec: SeenRequest = { method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks), clientGone: false }
      seen.push(rec)
      res.on('close', () => { if (!res.writableFinished) rec.clientGone = true })
      if (req.method === 'GET') {
        // Metadata and readiness of whatever path was asked.
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'upstream', path: req.url }))
        return
      }
      switch (state.mode) {
        case 'echo': {
          const h: Record<string, string> = { 'content-type': req.headers['content-type'] ?? 'application/json' }
          const n = req.headers['inference-header-content-length']
          if (typeof n === 'string') h['inference-header-content-length'] = n
          res.writeHead(200, h).end(rec.body)
          return
        }
        case 'hang':
          open.add(res)
          return
        case 'trickle': {
          open.add(res)
          res.writeHead(200, { 'content-type': 'application/json' })
          const t = setInterval(() => { res.write(' ') }, 50)
          timers.add(t)
          res.on('close', () => { clearInterval(t) })
        }
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get mode () { return state.mode },
    set mode (m: UpstreamMode) { state.mode = m },
    async close () {
      for (const t of timers) clearInterval(t)
      for (const r of open) r.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
