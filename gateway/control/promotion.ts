/**
 * Promotion and its undo: promote (or a blue-green switch) keeps the version it
 * replaces held back for a while; rollback returns to the stable version (a
 * canary cleared), to the held-back one after a promotion, or to the previous
 * active of a blue-green model, and refuses when there is nothing to return to.
 */
import { TOTAL_BP } from '../state/split.js'
import type { ModelState } from '../state/routing-state.js'
import { errors, type GatewayError } from '../errors.js'
import { edit, newRelease, requireVersion, switchTo, type Operation } from './model-edit.js'

/** How long the version a promotion replaces stays held back, and the time of the promotion. */
export interface Hold {
  now: number
  holdbackMs: number
}

/**
 * The canary (or the named version) becomes the stable version at 100%; no
 * candidate is left; a new release starts. On a blue-green model this is a switch.
 * With `hold`, the version it replaces stays held back for hold.holdbackMs:
 * `rollback` returns to it, `retire` refuses it.
 */
export function promote (model: string, version?: string, hold?: Hold): Operation {
  return (state) => edit(state, model, (ms) => {
    const target = version ?? ms.candidate
    if (target === null) throw errors.invalid(`model "${model}" has no canary or preview to promote; name a version`, { model })
    requireVersion(model, ms, target)
    const old = ms.stable
    if (ms.strategy === 'blue-green') return holdBack(switchTo(model, ms, target), old, hold)
    ms.strategy = 'canary'
    ms.stable = target
    ms.candidate = null
    ms.previous = null
    ms.split = [{ version: target, weight: TOTAL_BP }]
    return holdBack(newRelease(model, ms), old, hold)
  })
}

/** Keeps `old` held back after it stopped being stable (nothing when it still is, or without a hold). */
function holdBack (ms: ModelState, old: string, hold: Hold | undefined): ModelState {
  if (ms.stable === old) return ms
  ms.holdback = hold === undefined ? null : { version: old, since: hold.now, until: hold.now + hold.holdbackMs }
  return ms
}

/**
 * Back to safety in one call: with a canary, the stable version at 100% and the
 * candidate cleared; after a promotion, the held-back previous version at 100%
 * (while its holdback lasts). Blue-green switches back to the version that was
 * active before the last switch (the one rolled away from stays as the preview,
 * at 0%). With nothing to go back to it refuses (409) rather than report a
 * rollback that changed nothing. A finished rollout of the version rolled away
 * from is marked rolled back.
 */
export function rollback (model: string, now: number, actor = 'unknown'): Operation {
  return (state) => edit(state, model, (ms) => {
    const from = ms.stable
    if (ms.strategy === 'blue-green') {
      const back = ms.previous
      if (back === undefined || back === null || ms.versions[back] === undefined || back === ms.stable) throw nothingToRollBack(model, ms, now)
      const s = switchTo(model, ms, back)
      s.previous = null
      s.holdback = null
      return rolledAway(s, from, now, actor)
    }
    if (ms.candidate === null && ms.strategy === 'canary') {
      const h = ms.holdback
      if (h == null || h.until <= now || ms.versions[h.version] === undefined) throw nothingToRollBack(model, ms, now)
      ms.stable = h.version
      ms.holdback = null
      ms.split = [{ version: h.version, weight: TOTAL_BP }]
      return rolledAway(newRelease(model, ms), from, now, actor)
    }
    ms.strategy = 'canary'
    ms.candidate = null
    ms.previous = null
    ms.split = [{ version: ms.stable, weight: TOTAL_BP }]
    return newRelease(model, ms)
  })
}

function nothingToRollBack (model: string, ms: ModelState, now: number): GatewayError {
  const h = ms.holdback
  const why = h == null
    ? 'no previous version is held back'
    : h.until <= now ? `the holdback of "${h.version}" ended at ${new Date(h.until).toISOString()} (promote it by name to go back to it)` : `held-back version "${h.version}" is no longer registered`
  return errors.conflict(`model "${model}" has nothing to roll back: "${ms.stable}" serves 100% with no canary${ms.strategy === 'blue-green' ? ' and no previous active version' : ''}, and ${why}`, { model })
}

/** A rollout that promoted `from` (finished or watching) ends as rolled back, so its record says what happened. */
function rolledAway (ms: ModelState, from: string, now: number, actor: string): ModelState {
  const r = ms.rollout
  if (r == null || r.version !== from || (r.status !== 'promoted' && r.status !== 'watching')) return ms
  ms.rollout = { ...r, status: 'rolled-back', reason: `rolled back to "${ms.stable}" after promotion by ${actor}`, endedAt: r.endedAt ?? now }
  return ms
}

/** blue-green: the preview (or the named version) becomes active at 100%; the old active becomes the preview at 0% (and is held back with `hold`). */
export function switchActive (model: string, version?: string, hold?: Hold): Operation {
  return (state) => edit(state, model, (ms) => {
    if (ms.strategy !== 'blue-green') throw errors.invalid(`model "${model}" uses strategy "${ms.strategy}"; switch is for blue-green (use promote or set the split)`, { model })
    const target = version ?? ms.candidate
    if (target === null) throw errors.invalid(`model "${model}" has no preview version to switch to; register one first`, { model })
    requireVersion(model, ms, target)
    if (target === ms.stable) throw errors.invalid(`"${target}" is already the active version`, { model, version: target })
    const old = ms.stable
    return holdBack(switchTo(model, ms, target), old, hold)
  })
}
