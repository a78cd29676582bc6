// The README's "Try next" blocks, run as pasted against the demo's program (on
// free ports: the README's 8080 becomes the port the demo printed), by a shell
// in the repository with the environment of the demo's printed `export` line,
// in the README's order. Every ```sh block of the section is either run here or
// named below with the test that runs it.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO } from './pipeline-harness.js'
import { startDemo, type DemoProcess } from '../support/demo-process.js'
import { eventually } from '../support/eventually.js'
import { startGatewayProcess } from '../support/gateway-process.js'
import { startModel } from '../../scripts/processes/model-process.js'

/** Blocks of the section run by other tests, by a phrase of their first line. */
const ELSEWHERE: Record<string, string> = {
  'npx model-gateway batch': 'test/integration/readme-batch.test.ts (the batch guide\'s first block, which the README shows)',
  'kustomize build': 'test/integration/deploy-manifests.test.ts (every overlay built and loaded by the gateway\'s own config loader)'
}

const readme = readFileSync(join(REPO, 'README.md'), 'utf8')
const section = readme.slice(readme.indexOf('## Try next'), readme.indexOf('## Documentation'))

/** Each ```sh block: its lines, continuation lines joined, comments and blank lines dropped. */
const blocks: string[][] = [...section.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map(m => m[1]!
  .replace(/\\\n\s*/g, '')
  .split('\n')
  .map(l => l.replace(/\s+#.*$/, '').trim())
  .filter(l => l !== '' && !l.startsWith('#')))

let demo: DemoProcess | undefined
let env: NodeJS.ProcessEnv

function sh (line: string): { status: number | null, stdout: string, stderr: string } {
  const port = new URL(demo!.gatewayUrl).port
  const r = spawnSync('sh', ['-c', line.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`)], { cwd: REPO, env, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** The block whose first line starts with `prefix`; every line of it is run by the test that asks for it. */
function block (prefix: string): string[] {
  const b = blocks.find(x => x[0]!.startsWith(prefix))
  if (b === undefined) throw new Error(`README "Try next" has no sh block starting with "${prefix}"`)
  return b
}

async function split (): Promise<Record<string, number>> {
  const res = await request(`${demo!.adminUrl}/admin/models/fraud`, { headers: { authorization: `Bearer ${demo!.token}` } })
  const body = await res.body.json() as { model: { split: Array<{ version: string, weight: number }> } }
  return Object.fromEntries(body.model.split.filter(e => e.weight > 0).map(e => [e.version, e.weight]))
}

async function score (users: number): Promise<void> {
  for (let i = 0; i < users; i++) {
    const res = await request(`${demo!.gatewayUrl}/v2/models/fraud/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': `user-${i}` },
      body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [100 + i, 12, 3, 40.5] }] })
    })
    await res.body.text()
    expect(res.statusCode).toBe(200)
  }
}

beforeAll(async () => {
  demo = await startDemo()
  env = demo.env
}, 120_000)
afterAll(async () => {
  await demo?.stop()
}, 30_000)

describe('README "Try next"', () => {
  it('every sh block of the section is run by this file or named here with the test that runs it', () => {
    const here = ['npx model-gateway canary', 'npx model-gateway verify', 'npx model-gateway apps', 'curl -s']
    expect(blocks.length).toBeGreaterThanOrEqual(4)
    for (const b of blocks) {
      const covered = [...here, ...Object.keys(ELSEWHERE)].some(p => b[0]!.startsWith(p))
      expect({ block: b[0], covered }).toEqual({ block: b[0], covered: true })
    }
  })

  it('shift traffic by hand: v3 gets 5% then 20%, rollback puts v1 back at 100%, and the audit shows the three changes before → after', async () => {
    const [canary5, canary20, rollback, audit] = block('npx model-gateway canary')
    expect(sh(canary5!).status).toBe(0)
    expect(await split()).toEqual({ v1: 9500, v3: 500 })
    expect(sh(canary20!).status).toBe(0)
    expect(await split()).toEqual({ v1: 8000, v3: 2000 })
    const rb = sh(rollback!)
    expect(rb.status).toBe(0)
    expect(await split()).toEqual({ v1: 10_000 })
    const a = sh(audit!)
    expect(a.status).toBe(0)
    const rows = a.stdout.split('\n').filter(l => /\b(canary|rollback)\b/.test(l))
    expect(rows).toHaveLength(3)
    expect(a.stdout).toMatch(/→/)
  })

  it('check a version before users see it: verify passes v3, shadow mirrors live requests to it and the summary counts the pairs, then it stops', async () => {
    const [verify, shadowOn, summary, shadowOff] = block('npx model-gateway verify')
    const v = sh(verify!)
    expect(v.status, `${v.stdout}${v.stderr}`).toBe(0)
    expect(v.stdout).toMatch(/passed/i)
    expect(sh(shadowOn!).status).toBe(0)
    await score(200)
    const s = await eventually(() => {
      const r = sh(summary!)
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/v3/)
      const pairs = /(\d+) pairs?/.exec(r.stdout)
      expect(Number(pairs?.[1] ?? 0)).toBeGreaterThan(0)
      return r.stdout
    })
    expect(s).toMatch(/agree/i)
    expect(sh(shadowOff!).status).toBe(0)
  })

  it('judge versions by what happened: the scored request carries the id given, and its label is accepted', () => {
    const [infer, outcome] = block('curl -s')
    const scored = sh(infer!.replace('curl -s ', 'curl -s -i '))
    expect(scored.status).toBe(0)
    expect(scored.stdout).toMatch(/^HTTP\/1\.1 200/)
    expect(scored.stdout).toMatch(/^x-request-id: tx-1001\r?$/m)
    const o = sh(outcome!)
    expect(o.status).toBe(0)
    expect(JSON.parse(o.stdout)).toEqual({ accepted: 1, model: 'fraud' })
  })

  it('decide who may score what, on a gateway with access enabled: the application is stored with its model and quota, and only its printed key scores', async () => {
    const model = await startModel({ version: 'v1' })
    const token = 'readme-try-next-admin-token'
    const gw = await startGatewayProcess({
      admin: { tokens: [{ name: 'ops', token, role: 'admin' }] },
      access: { enabled: true },
      models: { fraud: { versions: { v1: { replicas: [model.url] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } } }
    })
    try {
      const saved = env
      env = { ...env, MODEL_GATEWAY_URL: gw.url, MODEL_GATEWAY_ADMIN_URL: gw.adminUrl!, MODEL_GATEWAY_TOKEN: token }
      try {
        const [apps, keys] = block('npx model-gateway apps')
        const a = sh(apps!)
        expect(a.status, a.stderr).toBe(0)
        const k = sh(keys!)
        expect(k.status, k.stderr).toBe(0)
        const key = /\b([A-Za-z0-9_-]{24,})\b/.exec(k.stdout)?.[1]
        expect(key).toBeDefined()
        const show = sh('npx model-gateway apps show checkout')
        expect(show.stdout).toMatch(/fraud/)
        expect(show.stdout).toMatch(/100/)
        const infer = (headers: Record<string, string>): Promise<number> => request(`${gw.url}/v2/models/fraud/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [950, 12, 9, 420.5] }] })
        }).then(async r => { await r.body.text(); return r.statusCode })
        expect(await infer({})).toBe(401)
        expect(await infer({ authorization: `Bearer ${key!}` })).toBe(200)
      } finally {
        env = saved
      }
    } finally {
      await gw.stop()
      await model.stop()
    }
  })
})
