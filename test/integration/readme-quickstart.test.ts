// The README's quick start as pasted against the demo's program (on free ports,
// so the README's 8080 becomes the port the demo printed): the curl answers as
// the README shows, the same user keeps their version, the explicit URL gets
// v2; and the README's release lines are the ones docs/demo.md's walkthrough
// runs (test/integration/demo-release.test.ts).
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO } from './pipeline-harness.js'
import { startDemo, type DemoProcess } from '../support/demo-process.js'

let demo: DemoProcess | undefined
const readme = readFileSync(join(REPO, 'README.md'), 'utf8')
const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Try next'))

interface Answer { status: string, headers: Record<string, string>, body: Record<string, unknown> }

/** `curl -s -i` output: status line, headers, JSON body. */
function parseHttp (text: string): Answer {
  const [head, ...rest] = text.replace(/\r/g, '').split('\n\n')
  const [status, ...lines] = head!.split('\n')
  const headers = Object.fromEntries(lines.map(l => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]))
  return { status: status!.trim(), headers, body: JSON.parse(rest.join('\n\n').replace('"deb73b11-…"', '"id"')) as Record<string, unknown> }
}

function curl (command: string): Answer {
  const port = new URL(demo!.env.MODEL_GATEWAY_URL!).port
  const r = spawnSync('sh', ['-c', command.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`)], { encoding: 'utf8', timeout: 30_000 })
  expect(r.status).toBe(0)
  return parseHttp(r.stdout)
}

beforeAll(async () => {
  demo = await startDemo()
}, 120_000)
afterAll(async () => {
  await demo?.stop()
}, 30_000)

describe('README quick start', () => {
  const block = /^```console\n\$ ([\s\S]*?)\n(HTTP\/1\.1[\s\S]*?)^```/m.exec(quickStart)!
  const command = block[1]!.replace(/\\\n\s*/g, '')
  const shown = parseHttp(block[2]!)

  it('the curl answers as the README shows: 200, JSON, the version, a request id, the same outputs', () => {
    const got = curl(command)
    expect(got.status).toBe(shown.status)
    expect(got.headers['content-type']).toBe(shown.headers['content-type'])
    expect(got.headers['x-model-version']).toBe(shown.headers['x-model-version'])
    expect(got.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect({ ...got.body, id: 'id' }).toEqual(shown.body)
  })

  it('the same x-user-id lands on the same version every time', () => {
    const versions = new Set(Array.from({ length: 5 }, () => curl(command).headers['x-model-version']))
    expect([...versions]).toEqual([shown.headers['x-model-version']])
  })

  it('the explicit URL the README names answers from v2', () => {
    const explicit = command.replace('/v2/models/fraud/infer', '/v2/models/fraud/versions/v2/infer').replace(" -H 'x-user-id: alice'", '')
    expect(curl(explicit).headers['x-model-version']).toBe('v2')
  })

  it('its release lines are the ones docs/demo.md runs, in that order', () => {
    const lines = (text: string): string[] => [...text.matchAll(/^```sh\n([\s\S]*?)^```/gm)].flatMap(m => m[1]!.split('\n'))
      .map(l => l.replace(/\s+#.*$/, '').trim()).filter(l => l.startsWith('npx model-gateway'))
    const page = lines(readFileSync(join(REPO, 'docs', 'demo.md'), 'utf8')).filter(l => !l.includes(' audit '))
    expect(lines(quickStart)).toEqual(page)
  })
})
