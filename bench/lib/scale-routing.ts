/**
 * In-process parts of the scale benchmark, on the real Router and routing
 * functions (no network: pools connect only when used):
 * - the routing decision a request costs: model lookup, version (sticky
 *   bucket), replica (power of two choices), as a pure loop;
 * - applying one admin change (one model's split) to the routing snapshot,
 *   incremental, against a full rebuild of every model's route as before;
 * - the same change arriving as a state parsed from JSON (the Redis store).
 */
import { Router } from '../../gateway/proxy/router.js'
import { buildSnapshot } from '../../gateway/routing/snapshot.js'
import { selectVersion } from '../../gateway/routing/select-version.js'
import { pickReplica } from '../../gateway/routing/pick-replica.js'
import { setCanary } from '../../gateway/control/operations.js'
import { parseConfig } from '../../gateway/config/load.js'
import type { RoutingState } from '../../gateway/state/routing-state.js'
import { median } from './stats.js'
import { modelName, scaleConfig, type ScaleShape } from './scale-config.js'

const KEYS = Array.from({ length: 4096 }, (_, i) => `user-${i * 7919}`)

export interface RoutingFigures {
  /** ns per decision, median of runs. */
  decisionNs: number
  changeMs: { median: number, p95: number, max: number }
  changeFromJsonMs: { median: number, max: number }
  /** JSON.parse of the whole state, which the Redis store does per revision. */
  parseStateMs: number
  fullRebuildMs: number
  discoveredChangeMs: number
}

function p95 (values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]!
}

function syntheticOrigins (n: number): string[] {
  return Array.from({ length: n }, (_, i) => `http://127.2.${(i >> 8) & 255}.${i & 255}:${8000 + (i >> 16)}`)
}

export function routerFor (shape: ScaleShape): { router: Router, state: RoutingState, names: string[] } {
  const cfg = parseConfig(JSON.stringify(scaleConfig(shape, syntheticOrigins(shape.models * shape.versions * shape.replicas))), 'scale.json', {} as never, () => undefined)
  return { router: new Router(cfg.models, cfg.initialState), state: cfg.initialState, names: Object.keys(cfg.models) }
}

function decisionLoop (router: Router, names: readonly string[], n: number): number {
  let sink = 0
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    const model = router.snapshot.models.get(names[i % names.length]!)!
    const version = selectVersion(model, KEYS[i & 4095], undefined)!
    const replica = pickReplica(version.replicas)
    if (replica !== undefined) sink += replica.inflight + 1
  }
  const ns = Number(process.hrtime.bigint() - t0) / n
  if (sink === 0) throw new Error('no replica picked')
  return ns
}

export function measureDecisions (router: Router, names: readonly string[], runs: number, perRun: number): number {
  decisionLoop(router, names, perRun)
  const out: number[] = []
  for (let r = 0; r < runs; r++) out.push(decisionLoop(router, names, perRun))
  return median(out)
}

export async function measureRouting (shape: ScaleShape, runs: number): Promise<RoutingFigures> {
  const { router, state: initial, names } = routerFor(shape)
  try {
    const decisionNs = measureDecisions(router, names, runs, 2_000_000)
    let state = initial
    const change = (i: number): RoutingState => setCanary(modelName(i % shape.models), 'v2', 500 + (i % 50) * 10)(state)
    const inc: number[] = []
    for (let i = 0; i < 50; i++) {
      state = change(i * 17)
      const t0 = performance.now()
      router.apply(state)
      inc.push(performance.now() - t0)
    }
    const fromJson: number[] = []
    const parse: number[] = []
    for (let i = 0; i < 20; i++) {
      state = change(i * 31)
      const text = JSON.stringify(state)
      const p0 = performance.now()
      const parsed = JSON.parse(text) as RoutingState
      const t0 = performance.now()
      router.apply(parsed)
      fromJson.push(performance.now() - t0)
      parse.push(t0 - p0)
    }
    const full: number[] = []
    // The registry's part of a full rebuild is one Map lookup per replica URL, as here.
    const registry = new Map<string, { url: string }>()
    const replicaFor = (url: string): { url: string } => {
      let r = registry.get(url)
      if (r === undefined) registry.set(url, r = { url })
      return r
    }
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now()
      buildSnapshot(state, router.configs, replicaFor)
      full.push(performance.now() - t0)
    }
    const disc: number[] = []
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now()
      router.setDiscovered(modelName(i), 'v3', [`http://127.3.0.${i + 1}:8000`, `http://127.3.1.${i + 1}:8000`])
      disc.push(performance.now() - t0)
    }
    return {
      decisionNs,
      changeMs: { median: median(inc), p95: p95(inc), max: Math.max(...inc) },
      changeFromJsonMs: { median: median(fromJson), max: Math.max(...fromJson) },
      parseStateMs: median(parse),
      fullRebuildMs: median(full),
      discoveredChangeMs: median(disc)
    }
  } finally {
    await router.close()
  }
}
