/** A port free on loopback right now, for servers that cannot listen on port 0 and report it (nginx). */
import { createServer } from 'node:net'

export async function freePort (): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => { srv.listen(0, '127.0.0.1', resolve) })
  const { port } = srv.address() as { port: number }
  await new Promise<void>((resolve) => { srv.close(() => { resolve() }) })
  return port
}
