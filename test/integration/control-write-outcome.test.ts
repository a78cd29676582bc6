// Admin writes of every kind sent to two gateways while Redis pauses writes
// (CLIENT PAUSE … WRITE, as a failover does) or stalls (SIGSTOP): every write
// answered with an error is absent from the audit log and the state afterwards,
// every 2xx is present, and every "outcome unknown" is settled in the audit
// log and by GET /admin/operations/:id, present exactly when settled as applied.
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { serviceEnv } from '../../scripts/services/control.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { continueRedis, faultLoop, type FaultLoop } from '../support/redis-faults.js'
import { adminJson, checkLedger, expectRevisionChain, WriteLedger } from '../support/write-ledger.js'

const TOKEN = 'write-outcome-admin-token-0123456789'
/** Writes of each kind per test (two tests: pauses, stalls). */
const PER_KIND = 50
const REPLICA = 'http://127.0.0.1:9/'
const PLAN = { steps: [{ weight: '10%', bake: '1h' }], interval: '1s' }
/** One model per writer, so writers never refuse each other's changes. */
const MODELS = ['canary', 'split', 'sampling', 'versions-a', 'versions-b', 'rollout-a', 'rollout-b']

function config (redisUrl: string): object {
  const models: Record<string, unknown> = {}
  for (const m of MODELS) {
    models[m] = {
      versions: { v1: { replicas: [REPLICA] }, v2: { replicas: ['http://127.0.0.1:10/'] } },
      release: { strategy: 'canary', stable: 'v1' },
      healthCheck: { enabled: false },
      outlierDetection: { enabled: false }
    }
  }
  return {
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    state: { store: 'redis', redisUrl, keyPrefix: `write-outcome-${randomUUID()}` },
    rollouts: { enabled: false },
    models
  }
}

type Write = [kind: string, method: 'PUT' | 'POST' | 'DELETE', path: string, body?: object]

/** The writes one writer sends, in order. */
function writers (): Array<{ model: string, writes: Write[] }> {
  const n = PER_KIND
  const range = (k: number): number[] => Array.from({ length: k }, (_, i) => i)
  const half = Math.ceil(n / 2)
  return [
    { model: 'canary', writes: range(n).map(i => ['canary', 'POST', '/admin/models/canary/canary', { version: 'v2', weight: 100 + i }]) },
    { model: 'split', writes: range(n).map(i => ['set-split', 'PUT', '/admin/models/split/split', { weights: { v1: 9800 - i, v2: 200 + i } }]) },
    { model: 'sampling', writes: range(n).map(i => ['set-sampling', 'PUT', '/admin/models/sampling/versions/v2/sampling', { rate: (i + 1) / 1000 }]) },
    ...['versions-a', 'versions-b'].map((m, w) => ({
      model: m,
      writes: range(w === 0 ? half : n - half).flatMap((i): Write[] => [
        ['register-version', 'POST', `/admin/models/${m}/versions`, { name: `t${i}`, replicas: [`http://127.0.0.1:${1000 + i}/`] }],
        ['retire-version', 'DELETE', `/admin/models/${m}/versions/t${i}`]
      ])
    })),
    ...['rollout-a', 'rollout-b'].map((m, w) => ({
      model: m,
      writes: range(w === 0 ? half : n - half).flatMap((): Write[] => [
        ['rollout-start', 'POST', `/admin/models/${m}/rollout`, { version: 'v2', plan: PLAN }],
        ['rollout-pause', 'POST', `/admin/models/${m}/rollout/pause`, {}],
        ['rollout-abort', 'POST', `/admin/models/${m}/rollout/abort`, {}]
      ])
    }))
  ]
}

/**
 * Sends every writer's writes, each writer spacing its writes so that its run
 * lasts at least `spanMs`: on a quiet machine 400 writes take about a second,
 * which would end before most of the faults were injected.
 */
async function run (gateways: GatewayProcess[], ledger: WriteLedger, spanMs: number): Promise<void> {
  let turn = 0
  await Promise.all(writers().map(async ({ model, writes }) => {
    const spacingMs = spanMs / writes.length
    for (const [kind, method, path, body] of writes) {
      const gw = gateways[turn++ % gateways.length]!
      const next = sleep(spacingMs)
      await ledger.send(gw, kind, model, method, path, body)
      await next
    }
  }))
}

/** The model as GET /admin/models/:m shows it is the `after` of its newest audit entry. */
async function expectStateMatchesAudit (gw: GatewayProcess, audit: Awaited<ReturnType<typeof checkLedger>>['audit']): Promise<void> {
  for (const m of MODELS) {
    const newest = audit.find(e => e.model === m && e.revisionAfter !== e.revisionBefore && e.after !== null)
    const view = (await adminJson(gw, TOKEN, 'GET', `/admin/models/${m}`)).json.model as { split: unknown, versions: Array<{ name: string, sampleRate: number | null }> }
    expect(view.split, `${m}: split`).toEqual(newest!.after.split)
    expect(view.versions.map(v => v.name).sort(), `${m}: versions`).toEqual(Object.keys(newest!.after.versions).sort())
    expect(view.versions.find(v => v.name === 'v2')?.sampleRate ?? null, `${m}: v2 sampling`).toBe(newest!.after.versions.v2?.sampleRate ?? null)
  }
}

describe('admin writes during Redis write pauses and stalls', () => {
  let gateways: GatewayProcess[] = []
  let faults: FaultLoop | undefined

  afterEach(async () => {
    await faults?.stop()
    continueRedis()
    await Promise.all(gateways.map(g => g.stop()))
    gateways = []
  })

  async function scenario (kind: 'pause' | 'stall', lengthsMs: number[]): Promise<void> {
    const { REDIS_URL } = serviceEnv()
    const cfg = config(REDIS_URL)
    gateways = [
      await startGatewayProcess(cfg, { env: { GATEWAY_INSTANCE_ID: `gw-${kind}-a`, LOG_LEVEL: 'warn' } }),
      await startGatewayProcess(cfg, { env: { GATEWAY_INSTANCE_ID: `gw-${kind}-b`, LOG_LEVEL: 'warn' } })
    ]
    const ledger = new WriteLedger(TOKEN)
    const gapMs = 400
    faults = faultLoop(kind, REDIS_URL, lengthsMs, gapMs)
    const t0 = Date.now()
    // Writes span every fault of the list once, gaps included.
    await run(gateways, ledger, lengthsMs.reduce((n, ms) => n + ms + gapMs, 0))
    const injected = await faults.stop()
    faults = undefined
    console.log(`${kind}s: ${ledger.answers.length} writes in ${((Date.now() - t0) / 1000).toFixed(1)} s across ${injected.length} faults (${injected.join(', ')})`)
    for (const [k, line] of Object.entries(ledger.summary())) console.log(`  ${k.padEnd(16)} ${line}`)

    const check = await checkLedger(gateways[0]!, TOKEN, ledger)
    console.log(`  unknown outcomes settled: ${[...check.settled.values()].filter(o => o === 'applied').length} applied, ${[...check.settled.values()].filter(o => o === 'not-applied').length} not applied`)
    const revision = (await adminJson(gateways[0]!, TOKEN, 'GET', '/admin/models')).json.revision as number
    expectRevisionChain(check.audit, revision)
    await expectStateMatchesAudit(gateways[1]!, check.audit)
    for (const k of ['canary', 'set-split', 'set-sampling', 'register-version', 'retire-version', 'rollout-start', 'rollout-pause', 'rollout-abort']) {
      expect(ledger.answers.filter(a => a.kind === k).length, `${k} writes sent`).toBe(PER_KIND)
    }
    // The faults hit: some writes were refused, none applied after its refusal.
    expect(ledger.answers.filter(a => a.code === 'GW_STATE_UNAVAILABLE').length).toBeGreaterThan(0)
    expect(gateways.every(g => g.alive())).toBe(true)
  }

  it('during CLIENT PAUSE WRITE of 0.5 to 4 s: every write answered with an error is absent, every 2xx present, every unknown outcome settled', async () => {
    await scenario('pause', [500, 1_500, 4_000, 2_500])
  }, 300_000)

  it('during SIGSTOP stalls of 0.5 to 5 s: every write answered with an error is absent, every 2xx present, every unknown outcome settled', async () => {
    await scenario('stall', [500, 1_500, 5_000, 2_500])
  }, 300_000)
})
