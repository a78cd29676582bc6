/**
 * Scoring logs: exact per-minute rollups and sampled records to Kafka or a file
 * (logging.sink). Absent when logging is off.
 */
import { buildPipeline, type ScoringPipeline } from '../observe/pipeline.js'
import type { Component } from './component.js'
import type { Core } from './core.js'

export interface PipelineComponent extends Component {
  readonly pipeline: ScoringPipeline | null
}

export function pipelineComponent (core: Core): PipelineComponent {
  const pipeline = buildPipeline({ config: core.config, logger: core.logger, registry: core.registry })
  if (pipeline === null) return { name: 'pipeline', pipeline }
  // Per-version sampling rates set at runtime live in the routing state.
  pipeline.applyState(core.store.get())
  // Audit entries and rollout decisions also travel through it (the control_log table).
  core.controlLog.attachPipeline(pipeline)
  return {
    name: 'pipeline',
    pipeline,
    observer: pipeline,
    healthSink: pipeline,
    applyState: (state) => { pipeline.applyState(state) },
    stop: () => pipeline.close()
  }
}
