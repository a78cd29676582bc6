import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { adminCall, mappedModel, TOKEN } from './release-harness.js'
import { eventually } from '../support/eventually.js'

// Two models under governance: tokens scoped to models and labels with roles,
// a plan template with a per-model override, a policy on critical models, and
// an approval step that must be passed by another token than the starter's.

const T = (name: string): string => `${name}-token-0123456789abcdef`
const PLAN = { steps: [{ approval: { distinct: true } }, { weight: '5%', bake: '1h' }], interval: '200ms', checks: { errors: {} } }

let v1: ModelProcess
let v3: ModelProcess
let gw: GatewayProcess

beforeAll(async () => {
  v1 = await startModel({ version: 'v1' })
  v3 = await startModel({ version: 'v3' })
  const model = (labels: Record<string, string>, rollout?: unknown): Record<string, unknown> => mappedModel(v1, v3, { labels, release: rollout === undefined ? {} : { rollout } })
  gw = await startGatewayProcess({
    admin: {
      tokens: [
        { name: 'ops', token: TOKEN, role: 'admin' },
        { name: 'alice', token: T('alice'), role: 'release', actions: ['start'], models: ['fraud'] },
        { name: 'bob', token: T('bob'), role: 'release', actions: ['approve', 'abort'], models: ['fraud'] },
        { name: 'carol', token: T('carol'), role: 'release', labels: { team: 'payments' } }
      ]
    },
    rollouts: {
      tickMs: 100,
      templates: [{ name: 'standard', version: 1, plan: PLAN }],
      policies: [{ name: 'critical-models', labels: { tier: 'critical' }, maxFirstStepWeight: 500, requireApproval: 'distinct', requireChecks: ['errors'] }]
    },
    models: {
      fraud: model({ team: 'risk', tier: 'critical' }, { template: 'standard', override: { checks: { errors: { minRequests: 50 } } } }),
      scoring: model({ team: 'payments' })
    }
  })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all([v1?.stop(), v3?.stop()])
})

const as = (who: string, method: 'GET' | 'POST', path: string, body?: object) => adminCall(gw, method, path, body, who === 'ops' ? TOKEN : T(who))

describe('rollout governance', () => {
  it('a token scoped to one model cannot start or approve another; an approval step waits until another token approves it', async () => {
    expect((await as('alice', 'POST', '/admin/models/scoring/rollout', { version: 'v3', plan: PLAN })).json).toMatchObject({ code: 'GW_FORBIDDEN', error: 'token "alice" is scoped to models fraud; model "scoring" is not one of them' })

    const started = await as('alice', 'POST', '/admin/models/fraud/rollout', { version: 'v3' })
    expect(started.status).toBe(201)
    expect(started.json.rollout).toMatchObject({ status: 'paused', step: 0, startedBy: 'alice', template: { name: 'standard', version: 1 } })
    expect(started.json.rollout.plan.checks.errors.minRequests).toBe(50)

    // Fifteen controller ticks (100 ms) later it still waits at its approval step, v3 at 0%.
    const waiting = await eventually(async () => {
      const w = await as('ops', 'GET', '/admin/models/fraud/rollout')
      expect(w.json.view.elapsedMs).toBeGreaterThanOrEqual(1500)
      return w
    })
    expect(waiting.json.view).toMatchObject({ status: 'paused', stepKind: 'approval', weight: 0 })
    expect((await as('ops', 'GET', '/admin/models/fraud')).json.model.split).toEqual([{ version: 'v3', weight: 0 }, { version: 'v1', weight: 10_000 }])
    expect((await as('ops', 'POST', '/admin/models/fraud/rollout/resume', {})).json.error).toMatch(/waits for an approval: "rollout approve fraud"/)

    expect((await as('alice', 'POST', '/admin/models/fraud/rollout/approve', {})).json).toMatchObject({ code: 'GW_FORBIDDEN', error: 'token "alice" may only start rollouts, not approve' })
    expect((await as('bob', 'POST', '/admin/models/scoring/rollout/approve', {})).json).toMatchObject({ code: 'GW_FORBIDDEN', error: 'token "bob" is scoped to models fraud; model "scoring" is not one of them' })
    expect((await as('bob', 'POST', '/admin/models/fraud/canary', { version: 'v3', weight: 100 })).json).toMatchObject({ code: 'GW_FORBIDDEN', error: 'token "bob" has role "release": it may only approve, abort rollouts' })

    const approved = await as('bob', 'POST', '/admin/models/fraud/rollout/approve', {})
    expect(approved.status).toBe(200)
    expect(approved.json.rollout).toMatchObject({ status: 'running', step: 1, approvals: [{ step: 0, by: 'bob' }] })
    const model = (await as('ops', 'GET', '/admin/models/fraud')).json.model
    expect(model.split).toEqual([{ version: 'v3', weight: 500 }, { version: 'v1', weight: 9500 }])
    const audit = (await as('ops', 'GET', '/admin/audit?limit=10')).json.entries as Array<{ action: string, actor: string }>
    expect(audit.filter(e => e.action.startsWith('rollout-')).map(e => `${e.action} by ${e.actor}`).slice(0, 2)).toEqual(['rollout-approve by bob', 'rollout-start by alice'])
    expect((await as('bob', 'POST', '/admin/models/fraud/rollout/abort', {})).status).toBe(200)
  })

  it('a distinct approval refuses the token that started the rollout, even one allowed to approve', async () => {
    expect((await as('carol', 'POST', '/admin/models/scoring/rollout', { version: 'v3', template: 'standard' })).status).toBe(201)
    const self = await as('carol', 'POST', '/admin/models/scoring/rollout/approve', {})
    expect(self.json).toMatchObject({ code: 'GW_FORBIDDEN', error: 'this approval step needs a different token than the one that started the rollout ("carol")' })
    expect((await as('ops', 'POST', '/admin/models/scoring/rollout/approve', {})).json.rollout.approvals).toEqual([expect.objectContaining({ by: 'ops' })])
    expect((await as('carol', 'POST', '/admin/models/scoring/rollout/abort', {})).status).toBe(200)
  })

  it('a plan that breaks the policy of a critical model is refused (403 GW_POLICY_VIOLATION) naming what it lacks, and changes nothing', async () => {
    const before = (await as('ops', 'GET', '/admin/models/fraud')).json.revision
    const res = await as('ops', 'POST', '/admin/models/fraud/rollout', { version: 'v3', plan: { steps: [{ weight: '20%', bake: '1m' }], checks: { latency: {} } } })
    expect(res.status).toBe(403)
    expect(res.json).toMatchObject({
      code: 'GW_POLICY_VIOLATION',
      error: 'the rollout plan for model "fraud" breaks its rollout policies: policy "critical-models" requires checks errors; a first step of at most 5% (it is 20%); an approval step by another token than the starter\'s (distinct: true)'
    })
    expect((await as('ops', 'GET', '/admin/models/fraud')).json.revision).toBe(before)
  })

  it('a new template version added over the admin API is used by the next start; a scoped token cannot add one', async () => {
    expect((await as('carol', 'POST', '/admin/rollout-templates/standard', { plan: PLAN })).json.code).toBe('GW_FORBIDDEN')
    const added = await as('ops', 'POST', '/admin/rollout-templates/standard', { plan: { ...PLAN, steps: [{ approval: { distinct: true } }, { weight: '2%', bake: '1h' }] } })
    expect(added.status).toBe(201)
    expect(added.json.version).toBe(2)
    const list = (await as('carol', 'GET', '/admin/rollout-templates')).json.templates
    expect(list).toEqual([{ name: 'standard', latest: 2, versions: [expect.objectContaining({ version: 1, source: 'config' }), expect.objectContaining({ version: 2, source: 'admin', by: 'ops' })] }])
    const started = await as('alice', 'POST', '/admin/models/fraud/rollout', { version: 'v3' })
    expect(started.json.rollout.template).toEqual({ name: 'standard', version: 2 })
    await as('bob', 'POST', '/admin/models/fraud/rollout/abort', {})
  })
})
