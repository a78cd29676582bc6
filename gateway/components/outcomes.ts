/**
 * The outcome intake (POST /v2/models/{m}/outcomes): labels and business values
 * by request id, durably queued where the scoring logs go before the answer.
 * Absent when no model collects outcomes (or logging is off).
 */
import { buildOutcomeIntake, type OutcomeIntake } from '../server/outcome-intake.js'
import type { Component } from './component.js'
import type { Core } from './core.js'

export interface OutcomesComponent extends Component {
  readonly intake: OutcomeIntake | null
}

export function outcomesComponent (core: Core): OutcomesComponent {
  const intake = buildOutcomeIntake(core.config, { router: core.router, logger: core.logger, registry: core.registry })
  if (intake === null) return { name: 'outcomes', intake }
  return { name: 'outcomes', intake, stop: () => intake.close() }
}
