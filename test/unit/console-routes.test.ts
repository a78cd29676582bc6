import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import type { FastifyInstance } from 'fastify'
import { buildAdminPlane } from '../../gateway/admin/listener.js'
import { CONSOLE_CSP, consoleAdminModule } from '../../gateway/admin/console-routes.js'

// The console's files on the admin listener: public, under the strict CSP,
// gzipped when asked, hashed assets cached for good, nothing outside the bundle.

const logger = pino({ level: 'silent' })
let dir: string
let app: FastifyInstance
let missing: FastifyInstance

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-files-'))
  await mkdir(join(dir, 'assets'))
  await writeFile(join(dir, 'index.html'), '<!doctype html><script type="module" src="/console/assets/index-abc.js"></script>')
  await writeFile(join(dir, 'assets', 'index-abc.js'), 'console.log("hi")')
  const tokens = [{ name: 'ops', token: 'console-routes-token-0123', role: 'admin' as const }]
  app = await buildAdminPlane(tokens, logger, [consoleAdminModule(logger, dir)])
  missing = await buildAdminPlane(tokens, logger, [consoleAdminModule(logger, join(dir, 'not-built'))])
})
afterAll(async () => {
  await app?.close()
  await missing?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('console routes', () => {
  it('serves index.html at /console/ without a token, with the CSP and no caching', async () => {
    const res = await app.inject({ url: '/console/' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP)
    expect(res.headers['x-frame-options']).toBe('DENY')
    expect(res.headers['cache-control']).toBe('no-cache')
    expect(res.body).toContain('/console/assets/index-abc.js')
  })

  it('redirects /console to /console/', async () => {
    const res = await app.inject({ url: '/console' })
    expect(res.statusCode).toBe(302)
    expect(res.headers.location).toBe('/console/')
  })

  it('gzips an asset for a client that accepts it and marks it immutable', async () => {
    const res = await app.inject({ url: '/console/assets/index-abc.js', headers: { 'accept-encoding': 'gzip, br' } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-encoding']).toBe('gzip')
    expect(res.headers['cache-control']).toContain('immutable')
    expect(gunzipSync(res.rawPayload).toString()).toBe('console.log("hi")')
  })

  it('answers 404 GW_NOT_FOUND for a file outside the bundle, an encoded traversal included', async () => {
    for (const url of ['/console/nope.js', '/console/assets/%2e%2e%2findex.html', '/console/assets/..%2F..%2Fpackage.json']) {
      const res = await app.inject({ url })
      expect(res.statusCode, url).toBe(404)
      expect(res.json().code, url).toBe('GW_NOT_FOUND')
    }
  })

  it('leaves a path that climbs out of /console to the other routes: 401 without a token', async () => {
    const res = await app.inject({ url: '/console/../package.json' })
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('GW_UNAUTHORIZED')
  })

  it('answers 404 GW_NOT_FOUND when the bundle was not built, and the listener still serves', async () => {
    expect((await missing.inject({ url: '/console/' })).json().code).toBe('GW_NOT_FOUND')
    expect((await missing.inject({ url: '/healthz' })).statusCode).toBe(200)
  })
})
