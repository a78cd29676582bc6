// `model-gateway verify` against real model processes: a good version passes
// every check; a wrong output schema, outputs out of tolerance, one slow replica
// and one broken replica of two each fail the check that names the fault.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { TOKEN } from '../support/redis-fleet.js'

const run = promisify(execFile)
const CLI = join(process.cwd(), 'dist', 'gateway', 'cli', 'main.js')
const GOLDEN = join(process.cwd(), 'config', 'golden', 'fraud.ndjson')
const SLOW_MS = 300
// Generous, so scheduling noise on a shared machine never fails a fast replica; the slow one is far beyond it.
const SLACK_MS = '100'

interface Verdict { code: number, stdout: string, json: { verification: { passed: boolean, checks: Array<{ name: string, passed: boolean, detail: string, figures: Record<string, unknown> }> } } }

let gw: GatewayProcess
const models: ModelProcess[] = []

async function verify (version: string): Promise<Verdict> {
  const args = [CLI, 'verify', 'fraud', version, '--golden', GOLDEN, '--json', '--rounds', '2', '--latency-slack-ms', SLACK_MS, '--admin-url', gw.adminUrl!]
  try {
    const { stdout } = await run(process.execPath, args, { env: { ...process.env, MODEL_GATEWAY_TOKEN: TOKEN } })
    return { code: 0, stdout, json: JSON.parse(stdout) }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    if (e.stdout === '') throw new Error(`verify exited ${e.code}: ${e.stderr}`)
    return { code: e.code, stdout: e.stdout, json: JSON.parse(e.stdout) }
  }
}

function failed (v: Verdict): string[] {
  return v.json.verification.checks.filter(c => !c.passed).map(c => c.name)
}

function check (v: Verdict, name: string): { passed: boolean, detail: string, figures: Record<string, unknown> } {
  return v.json.verification.checks.find(c => c.name === name)!
}

beforeAll(async () => {
  const start = (version: string, extraArgs: string[] = [], delayMs = 0): Promise<ModelProcess> => startModel({ version, extraArgs, delayMs })
  const [stable, goodA, goodB, schema, drift, slowOk, slow, brokenOk, broken] = await Promise.all([
    start('v1'), start('v1'), start('v1'),
    start('v1', ['--output-name', 'score']),
    start('v1', ['--weights', 'v2']),
    start('v1'), start('v1', [], SLOW_MS),
    start('v1'), start('v1', ['--fail'])
  ])
  models.push(stable!, goodA!, goodB!, schema!, drift!, slowOk!, slow!, brokenOk!, broken!)
  gw = await startGatewayProcess({
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    models: {
      fraud: {
        versions: {
          v1: { replicas: [stable!.url] },
          good: { replicas: [goodA!.url, goodB!.url] },
          schema: { replicas: [schema!.url] },
          drift: { replicas: [drift!.url] },
          slow: { replicas: [slowOk!.url, slow!.url] },
          broken: { replicas: [brokenOk!.url, broken!.url] }
        },
        release: { strategy: 'canary', stable: 'v1', requireVerification: true },
        healthCheck: { enabled: false },
        outlierDetection: { enabled: false }
      }
    }
  })
}, 60_000)

afterAll(async () => {
  await gw?.stop()
  await Promise.all(models.map(m => m.stop()))
})

describe('verification verdicts', () => {
  it('a good version passes all five checks and exits 0', async () => {
    const v = await verify('good')
    expect(v.code).toBe(0)
    expect(v.json.verification.passed).toBe(true)
    expect(v.json.verification.checks.map(c => [c.name, c.passed])).toEqual([['replicas', true], ['metadata', true], ['outputs', true], ['latency', true], ['errors', true]])
    expect(check(v, 'outputs').figures).toMatchObject({ expectedCompared: 12, expectedFailed: 0, stableCompared: 4, stableAgreement: 1 })
  })

  it('a wrong output schema fails the metadata and outputs checks, naming the missing output', async () => {
    const v = await verify('schema')
    expect(v.code).toBe(3)
    expect(failed(v)).toEqual(['metadata', 'outputs'])
    expect(check(v, 'metadata').detail).toContain('output "fraud_probability" is missing (has: score)')
  })

  it('outputs out of tolerance fail only the outputs check, with the expected and stable figures', async () => {
    const v = await verify('drift')
    expect(v.code).toBe(3)
    expect(failed(v)).toEqual(['outputs'])
    expect(check(v, 'outputs').figures).toMatchObject({ expectedCompared: 6, expectedFailed: 6, stableCompared: 2, stableAgreement: 0 })
    expect(check(v, 'outputs').detail).toContain('6 of 6 answers outside the expected outputs\' tolerance')
  })

  it('one slow replica fails only the latency check, naming that replica', async () => {
    const v = await verify('slow')
    expect(v.code).toBe(3)
    expect(failed(v)).toEqual(['latency'])
    expect(check(v, 'latency').detail).toContain(`${models[6]!.url} p99`)
    expect(check(v, 'latency').detail).not.toContain(`${models[5]!.url} p99`)
    expect(Number(check(v, 'latency').figures.worstP99Ms)).toBeGreaterThanOrEqual(SLOW_MS)
  })

  it('one broken replica of two fails the errors check with its 500s counted', async () => {
    const v = await verify('broken')
    expect(v.code).toBe(3)
    expect(failed(v)).toEqual(['errors'])
    expect(check(v, 'errors').figures).toEqual({ calls: 32, errors: 16 })
    expect(check(v, 'errors').detail).toContain(`${models[8]!.url}: 16 of 16 failed (HTTP 500`)
  })

  it('a replica that does not answer at all fails the replicas check', async () => {
    await models[8]!.stop()
    const v = await verify('broken')
    expect(v.code).toBe(3)
    expect(failed(v)).toEqual(['replicas', 'errors'])
    expect(check(v, 'replicas').detail).toContain(`${models[8]!.url} did not answer`)
    expect(check(v, 'replicas').figures).toEqual({ replicas: 2, answering: 1 })
  })
})
