/**
 * The browser console's static files at /console on the admin listener. The
 * files are the bundle `npm run build` writes to dist/console (no CDN); the
 * page itself holds no data and no secret, so the files are public, and
 * everything it shows comes from the admin API with the operator's token.
 *
 * Every file goes out with a strict Content-Security-Policy: scripts, styles
 * and API calls from this origin only, no inline script or style, no frames,
 * no forms posting elsewhere. Files are read and gzipped once at start.
 */
import { readdir, readFile } from 'node:fs/promises'
import { dirname, extname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzip as gzipCb } from 'node:zlib'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AdminModule } from './listener.js'
import type { Logger } from '../observe/log.js'
import { GatewayError } from '../errors.js'

const gzip = promisify(gzipCb)

export const CONSOLE_PATH = '/console'
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json'
}

interface ConsoleFile { type: string, body: Buffer, gzipped: Buffer | null, immutable: boolean }

/** dist/console beside the compiled gateway (dist/gateway/admin), also when this module runs from source. */
export function consoleDir (): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const compiled = here.includes(`${sep}dist${sep}gateway${sep}`)
  return resolve(here, compiled ? '../../console' : '../../dist/console')
}

export async function loadConsoleFiles (dir: string): Promise<Map<string, ConsoleFile>> {
  const files = new Map<string, ConsoleFile>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const full = join(entry.parentPath, entry.name)
    const rel = relative(dir, full).split(sep).join('/')
    const body = await readFile(full)
    const type = TYPES[extname(rel)] ?? 'application/octet-stream'
    const compressible = type.startsWith('text/') || type === 'image/svg+xml' || type === 'application/json'
    // vite names built assets by content hash: they never change under one name.
    files.set(rel, { type, body, gzipped: compressible ? await gzip(body, { level: 9 }) : null, immutable: rel.startsWith('assets/') })
  }
  return files
}

export function consoleAdminModule (logger: Logger, dir: string = consoleDir()): AdminModule {
  return (app) => {
    void app.register(async (scope) => {
      let files = new Map<string, ConsoleFile>()
      try {
        files = await loadConsoleFiles(dir)
      } catch (err) {
        logger.warn({ dir, err: (err as Error).message }, 'console not served: its files are missing (npm run build writes them)')
      }
      const send = (request: FastifyRequest, reply: FastifyReply, path: string): FastifyReply => {
        const f = files.get(path)
        if (f === undefined) throw new GatewayError('GW_NOT_FOUND', { method: request.method, url: request.url.slice(0, 200) })
        reply.header('content-security-policy', CONSOLE_CSP)
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'no-referrer')
          .header('x-frame-options', 'DENY')
          .header('cache-control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
          .header('vary', 'accept-encoding')
          .type(f.type)
        const accepts = request.headers['accept-encoding']
        if (f.gzipped !== null && typeof accepts === 'string' && /\bgzip\b/.test(accepts)) return reply.header('content-encoding', 'gzip').send(f.gzipped)
        return reply.send(f.body)
      }
      const config = { role: 'public' as const }
      scope.get(CONSOLE_PATH, { config }, async (_request, reply) => reply.redirect(`${CONSOLE_PATH}/`))
      scope.get<{ Params: { '*': string } }>(`${CONSOLE_PATH}/*`, { config }, async (request, reply) => send(request, reply, request.params['*'] === '' ? 'index.html' : request.params['*']))
    })
  }
}
