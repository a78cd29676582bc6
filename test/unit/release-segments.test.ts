import { describe, expect, it } from 'vitest'
import { analyseWithSegments } from '../../gateway/release/segments.js'
import { stepAlphas, validatePlan } from '../../gateway/release/plan.js'
import { decide } from '../../gateway/release/steps.js'
import { segmentOf } from '../../gateway/proxy/segment.js'
import { LATENCY_CELLS, latencyCell } from '../../gateway/observe/records.js'
import type { VersionWindow, WindowData } from '../../gateway/release/source.js'
import type { RolloutRecord } from '../../gateway/state/rollout-record.js'
import { seeded } from '../support/seeded-random.js'

const plan = validatePlan({ steps: [{ weight: '20%', bake: '10s' }], alpha: 0.05, checks: { errors: { minRequests: 100 } } })

function window (n: number, errorRate: number, rnd: () => number): VersionWindow {
  const latency = new Array<number>(LATENCY_CELLS).fill(0)
  let errors = 0
  for (let i = 0; i < n; i++) {
    if (rnd() < errorRate) errors++
    latency[latencyCell(10)]!++
  }
  return { requests: n, errors, latency, outputs: [] }
}

/** Three segments; the canary's error rate in each. */
function data (rates: Record<string, number>, n = 1500): WindowData {
  const rnd = seeded(7)
  const stable: Record<string, VersionWindow> = {}
  const canary: Record<string, VersionWindow> = {}
  for (const [seg, rate] of Object.entries(rates)) {
    stable[seg] = window(n, 0.001, rnd)
    canary[seg] = window(n / 4, rate, rnd)
  }
  const pool = (ws: Record<string, VersionWindow>): VersionWindow => Object.values(ws).reduce((a, w) => ({ requests: a.requests + w.requests, errors: a.errors + w.errors, latency: a.latency.map((x, i) => x + w.latency[i]!), outputs: [] }), { requests: 0, errors: 0, latency: new Array<number>(LATENCY_CELLS).fill(0), outputs: [] })
  return { stable: { ...pool(stable), bySegment: stable }, canary: { ...pool(canary), bySegment: canary }, newestAt: 0 }
}

describe('segment-wise analysis', () => {
  it('a canary bad in one segment fails that segment\'s check; the others pass', () => {
    const r = analyseWithSegments(plan.checks, data({ eu: 0.08, us: 0.001, apac: 0.001 }), stepAlphas(plan), { count: 4, limitTo: null })
    expect(r.filter(c => c.segment !== undefined).map(c => `${c.segment}:${c.verdict}`)).toEqual(['apac:pass', 'eu:fail', 'us:pass'])
  })

  it('each segment is tested at the rollout\'s alpha halved and divided by the number of segments', () => {
    const alphas = stepAlphas(plan)
    const r = analyseWithSegments(plan.checks, data({ eu: 0.001, us: 0.001 }), alphas, { count: 4, limitTo: null })
    expect(r.find(c => c.segment === undefined)!.figures.alpha).toBeCloseTo(alphas.sequential / 2)
    expect(r.find(c => c.segment === 'eu')!.figures.alpha).toBeCloseTo(alphas.sequential / 2 / 4)
  })

  it('a canary limited to segments is judged on those alone', () => {
    const r = analyseWithSegments(plan.checks, data({ eu: 0.08, us: 0.001, apac: 0.001 }), stepAlphas(plan), { count: 2, limitTo: ['us', 'apac'] })
    expect(r.map(c => `${c.segment ?? 'all'}:${c.verdict}`)).toEqual(['all:pass', 'us:pass', 'apac:pass'])
  })

  it('a segment short of data does not hold the step: the checks over all traffic decide', () => {
    const r: RolloutRecord = { id: 'r', version: 'v3', stable: 'v1', plan, status: 'running', step: 0, stepStartedAt: 0, startedAt: 0, startedBy: 'ops', noDataSince: null, reason: null, endedAt: null, checks: [] }
    const d = decide(r, plan, { at: 10_000, source: 'ok', checks: [{ check: 'errors', verdict: 'pass', summary: '', figures: {} }, { check: 'errors', verdict: 'inconclusive', summary: '', figures: {}, segment: 'apac' }] })
    expect(d.action).toBe('promote')
  })
})

describe('a request\'s segment', () => {
  const values = ['eu', 'us']
  it.each([
    ['a header', { from: { kind: 'header' as const, name: 'x-region' }, values }, { 'x-region': 'eu' }, null, 'eu'],
    ['a cookie', { from: { kind: 'cookie' as const, name: 'region' }, values }, { cookie: 'a=1; region=us' }, null, 'us'],
    ['a request parameter', { from: { kind: 'field' as const, name: 'region' }, values }, {}, '{"inputs":[],"parameters":{"region":"us"}}', 'us'],
    ['a value not declared', { from: { kind: 'header' as const, name: 'x-region' }, values }, { 'x-region': 'mars' }, null, 'other'],
    ['no value', { from: { kind: 'field' as const, name: 'region' }, values }, {}, '{"inputs":[]}', 'other'],
    ['a body that is not JSON', { from: { kind: 'field' as const, name: 'region' }, values }, {}, 'not json', 'other']
  ])('from %s', (_name, seg, headers, body, expected) => {
    expect(segmentOf(seg, headers, body === null ? null : Buffer.from(body), -1)).toBe(expected)
  })
})
