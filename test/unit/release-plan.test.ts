import { describe, expect, it } from 'vitest'
import { maxLooks, parsePlanText, PlanError, validatePlan } from '../../gateway/release/plan.js'

const GOOD = `
steps:
  - { weight: 1%, bake: 5m }
  - { weight: 50bp0, bake: 1m }
`

function errorOf (fn: () => unknown): PlanError {
  try { fn() } catch (err) { if (err instanceof PlanError) return err; throw err }
  throw new Error('no error thrown')
}

describe('rollout plan validation', () => {
  it('reads steps, gates, checks and durations with defaults filled in', () => {
    const p = parsePlanText(`
steps:
  - { weight: 1%, bake: 5m }
  - gate: manual
  - { weight: 25, bake: 90s }
  - { weight: 5000bp, bake: 1h }
interval: 10s
onNoData: fail
checks:
  errors: { maxIncrease: 0.002 }
  latency: { maxRatio: { p99: 2 } }
  outputs: { output: fraud_probability }
`, 'plan.yaml')
    expect(p.steps).toEqual([
      { kind: 'weight', weight: 100, bakeMs: 300_000 },
      { kind: 'gate' },
      { kind: 'weight', weight: 2500, bakeMs: 90_000 },
      { kind: 'weight', weight: 5000, bakeMs: 3_600_000 }
    ])
    expect(p.intervalMs).toBe(10_000)
    expect(p.onNoData).toBe('fail')
    expect(p.checks.errors).toEqual({ maxIncrease: 0.002, minRequests: 200 })
    expect(p.checks.latency?.maxRatio).toEqual({ p99: 2 })
    expect(p.checks.outputs?.output).toBe('fraud_probability')
    expect(maxLooks(p)).toBeGreaterThan(3)
  })

  it.each([
    ['steps: [{ weight: 5%, bake: 1m }, { weight: 5%, bake: 1m }]', 'steps[1].weight', 'must be more than the previous step\'s 5%'],
    ['steps: [{ weight: 10%, bake: 1m }, { weight: 5%, bake: 1m }]', 'steps[1].weight', 'weights only grow'],
    ['steps: [{ weight: 5%, bake: 0s }]', 'steps[0].bake', 'must be more than zero'],
    ['steps: [{ weight: 5% }]', 'steps[0].bake', 'is required'],
    ['steps: [{ weight: 101%, bake: 1m }]', 'steps[0].weight', 'at most 100%'],
    ['steps: [{ weight: 5%, bake: soon }]', 'steps[0].bake', 'must be a duration'],
    ['steps: [{ weight: 5%, bake: 1m }]\nchecks: { errorz: {} }', 'checks.errorz', 'unknown check (known: errors, latency, outputs, outcomes)'],
    ['steps: [{ weight: 5%, bake: 1m }]\nchecks: { latency: { maxRatio: { median: 2 } } }', 'checks.latency.maxRatio.median', 'must name a quantile'],
    ['steps: [{ weight: 5%, bake: 1m }]\nonNoData: maybe', 'onNoData', 'must be "hold" or "fail"'],
    ['steps: [{ weight: 5%, bake: 1m, colour: red }]', 'steps[0].colour', 'unknown key'],
    ['steps: []', 'steps', 'at least one step'],
    ['steps: [{ gate: manual }]', 'steps', 'at least one weight step']
  ])('refuses %j naming %s', (text, path, reason) => {
    const e = errorOf(() => parsePlanText(text, 'plans/bad.yaml'))
    expect(e.path).toBe(path)
    expect(e.message).toContain(reason)
    expect(e.message.startsWith(`plans/bad.yaml: ${path}: `)).toBe(true)
  })

  it('refuses text that is not YAML, naming the file', () => {
    expect(errorOf(() => parsePlanText(GOOD.replace('steps:', 'steps: [')  , 'p.yaml')).message).toMatch(/^p\.yaml: \(root\): not valid YAML/)
  })

  it('refuses a plan that is not a mapping', () => {
    expect(errorOf(() => validatePlan([1, 2], 'body.plan')).message).toBe('body.plan: (root): must be a mapping, got [1,2]')
  })
})
