/**
 * `npm run docs:screenshots`: the console's main pages as PNG files in docs/,
 * taken from a real gateway in headless Chromium. Two models under live load:
 * `fraud` with a good canary (v3) in the middle of a rollout, and `fraud-eu`
 * whose bad canary (v3, 8% errors) was rolled back by the errors check.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { startModel, type ModelProcess } from './processes/model-process.js'
import { repoRoot, spawnReady, stopProcess } from './processes/ready-process.js'
import { launchBrowser, signIn, type Browser } from './processes/browser.js'

const TOKEN = 'screenshots-admin-token-0123456789'
const OUT = join(repoRoot(), 'docs')
const BODY = (n: number): string => {
  const u = (k: number): number => ((n * 2654435761 + k * 40503) >>> 0) % 1000 / 1000
  return JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [50 + 1500 * u(1), 5 + 900 * u(2), 1 + 15 * u(3), 2 + 600 * u(4)] }] })
}

function plan (steps: object[]): object {
  return {
    steps,
    interval: '1s',
    maxExtension: '1m',
    checks: { errors: { minRequests: 400 }, latency: { minRequests: 150, maxRatio: { p50: 2, p95: 3 }, minIncreaseMs: 15 }, outputs: { minSamples: 100 } }
  }
}

/** Requests with sticky users to both models until stopped. */
function load (url: string): { stop (): Promise<void> } {
  const pool = new Pool(url, { connections: 6 })
  let stopped = false
  let n = 0
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const i = n++
      const model = i % 2 === 0 ? 'fraud' : 'fraud-eu'
      try {
        const res = await pool.request({ path: `/v2/models/${model}/infer`, method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': `user-${i}` }, body: BODY(i) })
        await res.body.text()
      } catch { /* a refused request during start-up: go on */ }
    }
  }
  const running = Promise.all(Array.from({ length: 6 }, worker))
  return { async stop () { stopped = true; await running; await pool.close() } }
}

async function admin (adminUrl: string, path: string, body: object): Promise<void> {
  const res = await fetch(`${adminUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
}

async function rolloutStatus (adminUrl: string, model: string): Promise<{ status: string, step: number }> {
  const res = await fetch(`${adminUrl}/admin/models/${model}/rollout`, { headers: { authorization: `Bearer ${TOKEN}` } })
  return ((await res.json()) as { rollout: { status: string, step: number } }).rollout
}

async function until (what: string, ok: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'console-screenshots-'))
  const models: ModelProcess[] = []
  let gateway: ChildProcess | undefined
  let browser: Browser | undefined
  let traffic: { stop (): Promise<void> } | undefined
  try {
    models.push(await startModel({ version: 'v1' }), await startModel({ version: 'v3' }))
    models.push(await startModel({ version: 'v1', name: 'fraud-eu' }), await startModel({ version: 'v3', name: 'fraud-eu', errorRate: 0.08 }))
    const config = {
      gateway: { instanceId: 'gw-1' },
      admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
      rollouts: { tickMs: 200 },
      models: {
        fraud: { sticky: { header: 'x-user-id' }, versions: { v1: { replicas: [models[0]!.url] }, v3: { replicas: [models[1]!.url] } }, release: { strategy: 'canary', stable: 'v1' } },
        'fraud-eu': { sticky: { header: 'x-user-id' }, versions: { v1: { replicas: [models[2]!.url] }, v3: { replicas: [models[3]!.url] } }, release: { strategy: 'canary', stable: 'v1' } }
      }
    }
    const file = join(dir, 'gateway.json')
    await writeFile(file, JSON.stringify(config))
    const started = await spawnReady<{ event: 'ready', port: number, adminPort: number }>(join(repoRoot(), 'dist', 'gateway', 'main.js'), ['--config', file, '--port', '0', '--admin-port', '0'], { label: 'gateway', readyTimeoutMs: 20_000 })
    gateway = started.child
    const url = `http://127.0.0.1:${started.ready.port}`
    const adminUrl = `http://127.0.0.1:${started.ready.adminPort}`
    traffic = load(url)
    await new Promise(resolve => setTimeout(resolve, 15_000))
    await admin(adminUrl, '/admin/models/fraud-eu/rollout', { version: 'v3', plan: plan([{ weight: '20%', bake: '20s' }]) })
    await admin(adminUrl, '/admin/models/fraud/rollout', { version: 'v3', plan: plan([{ weight: '10%', bake: '15s' }, { weight: '30%', bake: '10m' }, { weight: '60%', bake: '10m' }]) })
    await until('fraud-eu rolled back', async () => (await rolloutStatus(adminUrl, 'fraud-eu')).status === 'rolled-back')
    await until('fraud in its second step', async () => {
      const r = await rolloutStatus(adminUrl, 'fraud')
      if (r.status !== 'running') throw new Error(`the rollout of fraud v3 ended: ${JSON.stringify(r)}`)
      return r.step === 1
    })
    await new Promise(resolve => setTimeout(resolve, 20_000))

    browser = await launchBrowser({ width: 1280, height: 900 })
    const page = browser.page
    const consoleUrl = `${adminUrl}/console/`
    await page.goto(consoleUrl)
    await page.fill('#token', 'a-token')
    await page.screenshot({ path: join(OUT, 'console-sign-in.png') })
    await signIn(page, consoleUrl, TOKEN)
    await page.getByTestId('model-fraud-eu').waitFor()
    await page.screenshot({ path: join(OUT, 'console-models.png'), fullPage: true })
    for (const [model, png] of [['fraud', 'console-model-rollout.png'], ['fraud-eu', 'console-model-rolled-back.png']] as const) {
      await page.goto(`${consoleUrl}#/models/${model}`)
      await page.getByTestId('traffic').waitFor()
      await page.getByTestId('timeline').waitFor()
      await new Promise(resolve => setTimeout(resolve, 2_500))
      await page.screenshot({ path: join(OUT, png), fullPage: true })
    }
    await page.goto(`${consoleUrl}#/fleet`)
    await page.getByTestId('fleet').waitFor()
    await page.screenshot({ path: join(OUT, 'console-fleet.png') })
    process.stdout.write(`screenshots written to ${OUT}: console-sign-in.png console-models.png console-model-rollout.png console-model-rolled-back.png console-fleet.png\n`)
  } finally {
    await browser?.close()
    await traffic?.stop()
    if (gateway !== undefined) await stopProcess(gateway, 15_000)
    await Promise.allSettled(models.map(m => m.stop()))
    await rm(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`console-screenshots: ${(err as Error).message}\n`)
  process.exit(1)
})
