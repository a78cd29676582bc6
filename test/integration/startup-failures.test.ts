// Start-up failures a newcomer can cause end in one line that says what to do,
// with no stack trace: the gateway (`npm start` runs dist/gateway/main.js), the
// CLI's `serve`, and the demo.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gatewayMainPath } from '../support/gateway-process.js'
import { CLI, REPO } from './pipeline-harness.js'

let dir: string
let taken: Server
let takenPort: number

const CONFIG = (extra: object = {}): string => JSON.stringify({
  gateway: { host: '127.0.0.1' },
  admin: { host: '127.0.0.1' },
  models: { fraud: { versions: { v1: { replicas: ['http://127.0.0.1:9'] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } } },
  ...extra
})

function configFile (name: string, text: string): string {
  const f = join(dir, name)
  writeFileSync(f, text)
  return f
}

/** Runs a program to its end; its stderr as lines. */
function run (args: string[], env: Record<string, string> = {}): { status: number | null, lines: string[], stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, LOG_LEVEL: 'warn', ...env } })
  return { status: r.status, lines: r.stderr.trimEnd().split('\n'), stderr: r.stderr }
}

function expectOneLine (r: { lines: string[], stderr: string }): string {
  expect(r.stderr).not.toMatch(/^\s+at /m)
  expect(r.lines).toHaveLength(1)
  return r.lines[0]!
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'startup-'))
  taken = createServer()
  await new Promise<void>(resolve => taken.listen(0, '127.0.0.1', resolve))
  takenPort = (taken.address() as { port: number }).port
})
afterAll(async () => {
  await new Promise(resolve => taken.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

describe('the gateway (npm start)', () => {
  it('a data-plane port in use: exit 1 and one line naming the address and --port', () => {
    const r = run([gatewayMainPath(), '--config', configFile('a.json', CONFIG()), '--port', String(takenPort), '--admin-port', '0'])
    expect(r.status).toBe(1)
    expect(expectOneLine(r)).toBe(`model-gateway: cannot listen on 127.0.0.1:${takenPort} for the data plane: the port is in use by another process. Stop it, or start with --port N (0 = any free port) or set gateway.port`)
  })

  it('a config with an unknown key: exit 2 and one line naming the file, the path and the reason', () => {
    const file = configFile('b.json', CONFIG({ gateway: { host: '127.0.0.1', prot: 8080 } }))
    const r = run([gatewayMainPath(), '--config', file])
    expect(r.status).toBe(2)
    expect(expectOneLine(r)).toBe(`model-gateway: invalid config: ${file}: gateway.prot: unknown key (not in the schema)`)
  })

  it('a config file that does not exist: exit 2 and one line saying how to give another', () => {
    const r = run([gatewayMainPath(), '--config', join(dir, 'missing.yaml')])
    expect(r.status).toBe(2)
    expect(expectOneLine(r)).toBe(`model-gateway: invalid config: ${join(dir, 'missing.yaml')}: (root): cannot read the file (ENOENT); give another with --config FILE or GATEWAY_CONFIG`)
  })

  it('Redis not reachable at start: exit 1 and one line naming Redis and what to do', () => {
    // Port 9 (discard) has no listener on these machines: the connection is refused.
    const closed = configFile('d.json', CONFIG({ state: { store: 'redis', redisUrl: 'redis://127.0.0.1:9' } }))
    const r = run([gatewayMainPath(), '--config', closed, '--port', '0', '--admin-port', '0'])
    expect(r.status).toBe(1)
    expect(expectOneLine(r)).toMatch(/^model-gateway: cannot load the routing state: Redis at redis:\/\/127\.0\.0\.1:9 is not reachable \(.*ECONNREFUSED.*\); start Redis or set REDIS_URL \/ state\.redisUrl \(or use state\.store: memory\)$/)
  })

  it('an unknown option: exit 2 and one line listing the options', () => {
    const r = run([gatewayMainPath(), '--prot', '8080'])
    expect(r.status).toBe(2)
    expect(expectOneLine(r)).toMatch(/^model-gateway: Unknown option '--prot'.* \(options: --config FILE, --port N, --admin-port N, --grpc-port N\)$/)
  })
})

describe('npx model-gateway serve', () => {
  it('an admin port in use: exit 1 and one line naming the admin API and --admin-port', () => {
    const r = run([CLI, 'serve', '--config', configFile('e.json', CONFIG()), '--port', '0', '--admin-port', String(takenPort)])
    expect(r.status).toBe(1)
    expect(expectOneLine(r)).toBe(`model-gateway: cannot listen on 127.0.0.1:${takenPort} for the admin API: the port is in use by another process. Stop it, or start with --admin-port N (0 = any free port) or set admin.port`)
  })
})

describe('the demo (npm run demo)', () => {
  it('DEMO_PORT in use: exit 1 and the one line docs/demo.md shows, naming DEMO_PORT and DEMO_ADMIN_PORT', () => {
    const page = readFileSync(join(REPO, 'docs', 'demo.md'), 'utf8')
    const shown = /^demo: port 8080 .*$/m.exec(page)![0]
    const r = run([join(REPO, 'dist', 'scripts', 'demo.js')], { DEMO_PORT: String(takenPort), DEMO_ADMIN_PORT: '0' })
    expect(r.status).toBe(1)
    expect(expectOneLine(r)).toBe(shown.replace('port 8080', `port ${takenPort}`))
  })

  it('DEMO_ADMIN_PORT in use: exit 1 and one line naming DEMO_ADMIN_PORT', () => {
    const r = run([join(REPO, 'dist', 'scripts', 'demo.js')], { DEMO_PORT: '0', DEMO_ADMIN_PORT: String(takenPort) })
    expect(r.status).toBe(1)
    expect(expectOneLine(r)).toMatch(new RegExp(`^demo: port ${takenPort} on 127\\.0\\.0\\.1 is in use by another process \\(DEMO_ADMIN_PORT\\)\\. `))
  })
})
