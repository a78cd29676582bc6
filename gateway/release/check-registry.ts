/**
 * The kinds of check a rollout plan may enable, by name. Each kind validates
 * its own settings (under `checks.<name>` in a plan) and turns a window of
 * canary and stable data into a verdict with its figures. Plans, analysis and
 * the docs' list of known checks all read this registry, so a new kind (in its
 * own file) is one `registerCheckKind` call away, with no switch to edit.
 */
import type { Fail } from './plan-fields.js'
import type { WindowData, WindowQuery } from './source.js'

export type Verdict = 'pass' | 'fail' | 'inconclusive'

export interface CheckResult {
  check: string
  verdict: Verdict
  /** One line a person can read: the figures and why. */
  summary: string
  figures: Record<string, number | null>
  /** The segment the check judged (segment-wise analysis), absent for all traffic. */
  segment?: string
}

export interface CheckKind<C = unknown> {
  readonly name: string
  /**
   * How the check spends its share of alpha: an always-valid (sequential) test
   * once per window (a weight step, a watch), a fixed-sample test once per look.
   */
  readonly sequential: boolean
  /** Validates this check's settings (the mapping under `checks.<name>`); `path` is where it sits. */
  parse (raw: Record<string, unknown>, path: string, fail: Fail): C
  run (config: C, data: WindowData, alpha: number): CheckResult
  /** The response output the sources must collect for this check, if any. */
  output? (config: C): WindowQuery['output']
}

const kinds = new Map<string, CheckKind>()

export function registerCheckKind<C> (kind: CheckKind<C>): void {
  if (kinds.has(kind.name)) throw new Error(`check kind "${kind.name}" is registered twice`)
  kinds.set(kind.name, kind as CheckKind)
}

export function checkKind (name: string): CheckKind | undefined {
  return kinds.get(name)
}

export function checkKindNames (): string[] {
  return [...kinds.keys()]
}
