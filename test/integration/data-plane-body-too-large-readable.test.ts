import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { ensurePythonEnv } from '../../scripts/services/python-env.js'
import { DISCARD_MAX_BYTES, DISCARD_MAX_MS } from '../../gateway/server/read-body.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { PYTHON_ENV_TIMEOUT_MS } from '../support/oip-client.js'
import { eventually } from '../support/eventually.js'
import { FRAUD_REQUEST } from '../support/oip.js'

// A body over the limit that arrives with a Content-Length is answered 413 at
// once, and the rest of it is read and dropped (up to a bound of bytes and time)
// before the connection may close: a client still writing its body then reads
// the answer instead of a reset. Each standard client tries 50 times.

const MIB = 1024 * 1024
const LIMIT = MIB
const BODY_BYTES = 12 * MIB
const TRIES = 50
const MESSAGE = `${LIMIT} bytes`
const execFileP = promisify(execFile)

/** Python's requests (pinned in the interop-kserve environment): `TRIES` posts, one JSON line of what each got. */
const PYTHON_CLIENT = `
import json, sys, requests
url, path, tries = sys.argv[1], sys.argv[2], int(sys.argv[3])
body = open(path, 'rb').read()
out = []
for i in range(tries):
    try:
        r = requests.post(url, data=body, headers={'content-type': 'application/json'}, timeout=30)
        out.append({'status': r.status_code, 'body': r.text})
    except Exception as e:
        out.append({'error': repr(e)})
print(json.dumps(out))
`

interface Try { status?: number, body?: string, error?: string }

let model: ModelProcess
let gw: GatewayProcess
let dir: string
let bodyFile: string
let body: Buffer
let python: string

beforeAll(async () => {
  const [m, env] = await Promise.all([startModel({ version: 'v1' }), ensurePythonEnv('interop-kserve')])
  model = m
  python = env.python
  gw = await startGatewayProcess({
    models: {
      fraud: {
        versions: { v1: { replicas: [model.url] } },
        release: { strategy: 'canary', stable: 'v1' },
        bodyLimitBytes: LIMIT,
        healthCheck: { enabled: false }
      }
    }
  })
  const pad = 'x'.repeat(BODY_BYTES - 16)
  body = Buffer.from(`{"pad":"${pad}"}`.padEnd(BODY_BYTES, ' '))
  dir = await mkdtemp(join(tmpdir(), 'gw-413-'))
  bodyFile = join(dir, 'body.json')
  await writeFile(bodyFile, body)
}, PYTHON_ENV_TIMEOUT_MS)
afterAll(async () => {
  await gw?.stop()
  await model?.stop()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

const inferUrl = (): string => `${gw.url}/v2/models/fraud/infer`

/** The tries that did not read a 413 GW_BODY_TOO_LARGE naming the limit (empty when all did). */
function misses (tries: Try[]): Try[] {
  return tries.filter(t => {
    if (t.status !== 413 || t.body === undefined) return true
    const parsed = JSON.parse(t.body) as { code?: string, error?: string }
    return parsed.code !== 'GW_BODY_TOO_LARGE' || !(parsed.error ?? '').includes(MESSAGE)
  })
}

/** Raw HTTP/1.1 over one socket: what was received, and whether the server closed it. */
function rawClient (): { socket: Socket, received: () => string, closed: Promise<void> } {
  const socket = connect({ host: '127.0.0.1', port: gw.port })
  let got = ''
  socket.setEncoding('latin1').on('data', (c: string) => { got += c })
  socket.on('error', () => {})
  const closed = new Promise<void>(resolve => socket.once('close', () => resolve()))
  return { socket, received: () => got, closed }
}

const head = (length: number): string =>
  `POST /v2/models/fraud/infer HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`

describe(`a ${BODY_BYTES / MIB} MiB body with Content-Length against a ${LIMIT / MIB} MiB limit`, () => {
  it(`Node's fetch reads the 413 GW_BODY_TOO_LARGE and its message in ${TRIES} of ${TRIES} tries`, async () => {
    const tries: Try[] = []
    for (let i = 0; i < TRIES; i++) {
      try {
        const res = await fetch(inferUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        tries.push({ status: res.status, body: await res.text() })
      } catch (e) {
        tries.push({ error: String((e as Error & { cause?: unknown }).cause ?? e) })
      }
    }
    expect(misses(tries)).toEqual([])
  }, 120_000)

  it(`curl reads the 413 GW_BODY_TOO_LARGE and its message in ${TRIES} of ${TRIES} tries`, async () => {
    const tries: Try[] = []
    for (let i = 0; i < TRIES; i++) {
      try {
        const { stdout } = await execFileP('curl', ['-sS', '-H', 'content-type: application/json', '--data-binary', `@${bodyFile}`, '-w', '\n%{http_code}', inferUrl()], { maxBuffer: 4 * MIB })
        const cut = stdout.lastIndexOf('\n')
        tries.push({ status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) })
      } catch (e) {
        tries.push({ error: (e as Error).message })
      }
    }
    expect(misses(tries)).toEqual([])
  }, 120_000)

  it(`Python requests reads the 413 GW_BODY_TOO_LARGE and its message in ${TRIES} of ${TRIES} tries`, async () => {
    const { stdout } = await execFileP(python, ['-c', PYTHON_CLIENT, inferUrl(), bodyFile, String(TRIES)], { maxBuffer: 4 * MIB, timeout: 110_000 })
    const tries = JSON.parse(stdout) as Try[]
    expect(tries.length).toBe(TRIES)
    expect(misses(tries)).toEqual([])
  }, 120_000)

  it('once the whole refused body is read, the same connection answers the next request 200', async () => {
    const c = rawClient()
    c.socket.write(head(body.length))
    c.socket.write(body)
    c.socket.write(`${head(Buffer.byteLength(FRAUD_REQUEST))}${FRAUD_REQUEST}`)
    await eventually(() => {
      expect(c.received()).toMatch(/^HTTP\/1\.1 413 [\s\S]*GW_BODY_TOO_LARGE[\s\S]*HTTP\/1\.1 200 /)
    }, { timeoutMs: 20_000 })
    c.socket.destroy()
  })

  it('a body that stops arriving gets the 413, then the gateway closes its connection', async () => {
    const c = rawClient()
    c.socket.write(head(body.length))
    c.socket.write(body.subarray(0, 64 * 1024))
    await c.closed
    expect(c.received()).toMatch(/^HTTP\/1\.1 413 [\s\S]*GW_BODY_TOO_LARGE/)
  }, DISCARD_MAX_MS + 20_000)

  it(`a body declared over ${DISCARD_MAX_BYTES / MIB} MiB gets the 413 with connection: close, and is not read`, async () => {
    const c = rawClient()
    c.socket.write(head(DISCARD_MAX_BYTES + 1))
    await eventually(() => { expect(c.received()).toMatch(/^HTTP\/1\.1 413 [\s\S]*connection: close[\s\S]*GW_BODY_TOO_LARGE/i) }, { timeoutMs: 20_000 })
    await c.closed
    expect(gw.alive()).toBe(true)
  })
})
