import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Pool } from 'undici'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { adminCall, features, mappedModel, TOKEN, warmModel } from './release-harness.js'

// 50 models, each with a rollout started at the same moment, and a release
// queue of K = 5: never more than 5 in progress, every one finishes, and they
// are admitted in the order they were started (none starves).

const MODELS = Array.from({ length: 50 }, (_, i) => `m${String(i).padStart(2, '0')}`)
const K = 5
const PLAN = { steps: [{ weight: '50%', bake: '1s' }], interval: '200ms', maxExtension: '30s', checks: { errors: { minRequests: 10 } } }

let v1: ModelProcess
let v3: ModelProcess
let gw: GatewayProcess

beforeAll(async () => {
  v1 = await startModel({ version: 'v1' })
  v3 = await startModel({ version: 'v3' })
  await Promise.all([warmModel(v1.url), warmModel(v3.url)])
  const models: Record<string, unknown> = {}
  for (const m of MODELS) models[m] = mappedModel(v1, v3)
  gw = await startGatewayProcess({ admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] }, rollouts: { tickMs: 100, maxInProgress: K }, models })
})
afterAll(async () => {
  await gw?.stop()
  await Promise.all([v1?.stop(), v3?.stop()])
})

interface View { model: string, status: string, queuePosition: number | null }

/** Traffic for the models whose rollouts are in progress right now (what the list says). */
function loadInProgress (): { stop: () => Promise<void>, maxSeen: () => number } {
  const pool = new Pool(gw.url, { connections: 8 })
  let running: string[] = []
  let maxSeen = 0
  let stopped = false
  const poll = (async () => {
    while (!stopped) {
      const list = (await adminCall(gw, 'GET', '/admin/rollouts')).json as { inProgress: number, rollouts: View[] }
      maxSeen = Math.max(maxSeen, list.inProgress)
      running = list.rollouts.filter(v => v.status === 'running').map(v => v.model)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  })()
  let n = 0
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const m = running[n++ % Math.max(1, running.length)]
      if (m === undefined) { await new Promise(resolve => setTimeout(resolve, 20)); continue }
      const res = await pool.request({ path: `/v2/models/${m}/infer`, method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': `u${n}` }, body: features(n) })
      await res.body.text()
    }
  }
  const workers = Promise.all(Array.from({ length: 8 }, worker))
  return { stop: async () => { stopped = true; await Promise.all([poll, workers]); await pool.close() }, maxSeen: () => maxSeen }
}

describe('the release queue', () => {
  it('with 50 rollouts started at once and K = 5: never more than 5 in progress, all 50 promoted, admitted in start order', { timeout: 300_000 }, async () => {
    const load = loadInProgress()
    try {
      const starts = await Promise.all(MODELS.map(m => adminCall(gw, 'POST', `/admin/models/${m}/rollout`, { version: 'v3', plan: PLAN })))
      expect(starts.map(s => s.status)).toEqual(MODELS.map(() => 201))
      expect(starts.filter(s => s.json.rollout.status === 'queued').length).toBe(MODELS.length - K)
      // Before the first one finishes (its bake is 1 s), the list shows the queue with positions 1..45.
      const listed = (await adminCall(gw, 'GET', '/admin/rollouts')).json as { queued: number, rollouts: View[] }
      expect(listed.queued).toBe(MODELS.length - K)
      expect(listed.rollouts.map(v => v.queuePosition).filter(p => p !== null).sort((a, b) => a! - b!)).toEqual(Array.from({ length: MODELS.length - K }, (_, i) => i + 1))
      const deadline = Date.now() + 240_000
      for (;;) {
        const list = (await adminCall(gw, 'GET', '/admin/rollouts')).json as { rollouts: View[] }
        if (list.rollouts.every(v => !['queued', 'running', 'paused', 'held'].includes(v.status))) break
        if (Date.now() > deadline) throw new Error(`not all done: ${JSON.stringify(list.rollouts.filter(v => v.status !== 'promoted').map(v => `${v.model}:${v.status}`))}`)
        await new Promise(resolve => setTimeout(resolve, 500))
      }
    } finally {
      await load.stop()
    }
    expect(load.maxSeen()).toBeLessThanOrEqual(K)
    const records = await Promise.all(MODELS.map(async m => (await adminCall(gw, 'GET', `/admin/models/${m}/rollout`)).json.rollout as { status: string, startedAt: number, admittedAt: number, endedAt: number }))
    expect(records.map(r => r.status)).toEqual(MODELS.map(() => 'promoted'))
    // Exact: at no moment did more than K rollouts hold a slot (admitted, not yet ended).
    const events = records.flatMap(r => [[r.admittedAt, 1], [r.endedAt, -1]] as Array<[number, number]>).sort((a, b) => a[0] - b[0] || a[1] - b[1])
    let inFlight = 0
    let most = 0
    for (const [, d] of events) { inFlight += d; most = Math.max(most, inFlight) }
    expect(most).toBeLessThanOrEqual(K)
    const byStart = [...records].sort((a, b) => a.startedAt - b.startedAt || 0)
    const admitted = byStart.map(r => r.admittedAt)
    expect(admitted).toEqual([...admitted].sort((a, b) => a - b))
  })
})
