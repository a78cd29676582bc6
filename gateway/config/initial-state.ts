/**
 * The routing state a model starts with when no stored state exists: its
 * release section of the config turned into the state vocabulary. Problems are
 * StateErrors naming the path inside the model, which the loader prefixes.
 */
import type { ModelConfig } from './schema.js'
import { releaseName, StateError, type ModelState } from '../state/routing-state.js'
import { blueGreenSplit, canarySplit, releaseSeed, TOTAL_BP, type SplitEntry } from '../state/split.js'

export function modelStateFromConfig (name: string, cfg: ModelConfig): ModelState {
  const versions: ModelState['versions'] = {}
  for (const [v, vc] of Object.entries(cfg.versions)) versions[v] = vc.upstream === undefined ? { replicas: [...(vc.replicas ?? [])] } : { replicas: [...(vc.replicas ?? [])], upstream: { ...vc.upstream } }
  const has = (v: string | undefined, path: string): string => {
    if (v === undefined) throw new StateError(path, 'is required for this strategy')
    if (versions[v] === undefined) throw new StateError(path, `names version "${v}", which is not under versions (have: ${Object.keys(versions).join(', ')})`)
    return v
  }
  const r = cfg.release
  let state: Omit<ModelState, 'seed'>
  switch (r.strategy) {
    case 'canary': {
      const stable = has(r.stable, 'release.stable')
      const canary = r.canary === undefined ? null : has(r.canary, 'release.canary')
      if (canary === stable) throw new StateError('release.canary', 'must differ from release.stable')
      const w = canary === null ? 0 : (r.canaryWeight ?? 0)
      state = {
        versions,
        strategy: 'canary',
        split: canarySplit(stable, canary, w),
        stable,
        candidate: canary,
        release: 1
      }
      break
    }
    case 'blue-green': {
      const active = has(r.active, 'release.active')
      const preview = r.preview === undefined ? null : has(r.preview, 'release.preview')
      if (preview === active) throw new StateError('release.preview', 'must differ from release.active')
      state = {
        versions,
        strategy: 'blue-green',
        split: blueGreenSplit(active, preview),
        stable: active,
        candidate: preview,
        release: 1
      }
      break
    }
    case 'split': {
      if (r.weights === undefined) throw new StateError('release.weights', 'is required for strategy "split"')
      const split: SplitEntry[] = []
      for (const [v, w] of Object.entries(r.weights)) split.push({ version: has(v, `release.weights.${v}`), weight: w })
      const sum = split.reduce((a, e) => a + e.weight, 0)
      if (sum !== TOTAL_BP) throw new StateError('release.weights', `add up to ${sum} basis points; they must add up to ${TOTAL_BP}`)
      const stable = r.stable === undefined ? split.reduce((a, e) => (e.weight > a.weight ? e : a)).version : has(r.stable, 'release.stable')
      state = { versions, strategy: 'split', split, stable, candidate: null, release: 1 }
      break
    }
  }
  const out: ModelState = { ...state, seed: r.seed ?? releaseSeed(name, releaseName(state)) }
  if (r.requireVerification === true) out.requireVerification = true
  return out
}
