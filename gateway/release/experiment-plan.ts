/**
 * The experiment plan kind: instead of steps, hold one split (say 50/50)
 * until the outcomes check's sequential test decides, then promote the winner,
 * or keep stable once maxDuration has passed without a decision.
 *
 *   experiment: { split: 50%, maxDuration: 14d }
 *   interval: 10m
 *   checks:
 *     outcomes: { metric: value-mean, maturity: 1d, minSamples: 2000 }
 *     errors: {}            # guards: any failing check ends the experiment, stable kept
 *
 * It is stored as a plan with one weight step (the split, baked for
 * maxDuration) so status, timelines and the stored record stay the same;
 * experiment.ts makes the decisions.
 */
import { known, mapping, parseDuration, parseWeight, type Fail } from './plan-fields.js'

export interface ExperimentPlan {
  /** The candidate's share, in basis points, for the whole experiment. */
  split: number
  /** With no decision by then, stable is kept. */
  maxDurationMs: number
}

export const EXPERIMENT_KEYS = ['split', 'maxDuration'] as const
export const DEFAULT_SPLIT_BP = 5_000

export function parseExperiment (raw: unknown, fail: Fail): ExperimentPlan {
  const e = mapping(raw, 'experiment', fail)
  known(e, 'experiment', EXPERIMENT_KEYS, fail)
  const split = e.split === undefined ? DEFAULT_SPLIT_BP : parseWeight(e.split, 'experiment.split', fail)
  if (split >= 10_000) fail('experiment.split', 'must leave stable a share (less than 100%)')
  if (e.maxDuration === undefined) fail('experiment.maxDuration', 'is required (how long to wait for a decision before keeping stable, e.g. 14d)')
  const maxDurationMs = parseDuration(e.maxDuration, 'experiment.maxDuration', fail)
  if (maxDurationMs <= 0) fail('experiment.maxDuration', 'must be more than zero')
  return { split, maxDurationMs }
}

/**
 * For a plan with `experiment`: checks it and writes the one step it stands
 * for (and no extension) into the plan being validated; undefined without one.
 */
export function expandExperiment (obj: Record<string, unknown>, fail: Fail): ExperimentPlan | undefined {
  if (obj.experiment === undefined) return undefined
  if (obj.steps !== undefined) fail('steps', 'an experiment holds one split (experiment.split); give steps or experiment, not both')
  if (obj.maxExtension !== undefined) fail('maxExtension', 'an experiment runs to experiment.maxDuration; it has no extension')
  const e = parseExperiment(obj.experiment, fail)
  obj.steps = [{ weight: `${e.split}bp`, bake: e.maxDurationMs }]
  obj.maxExtension = 0
  return e
}
