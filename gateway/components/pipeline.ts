/**
 * Scoring logs: exact per-minute rollups and sampled records to Kafka or a file
 * (logging.sink). Absent when logging is off.
 */
import type { Registry } from 'prom-client'
import type { GatewayConfig } from '../config/load.js'
import type { Logger } from '../observe/log.js'
import { ScoringPipeline } from '../observe/pipeline.js'
import type { PipelineTransport } from '../observe/transport.js'
import { KafkaTransport } from '../observe/kafka-producer.js'
import { FileTransport } from '../observe/file-sink.js'
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

interface BuildPipelineDeps {
  config: GatewayConfig
  logger: Logger
  registry?: Registry
}

/** The pipeline for config.logging, or null when logging.sink is 'off'. */
function buildPipeline ({ config, logger, registry }: BuildPipelineDeps): ScoringPipeline | null {
  const l = config.logging
  let transport: PipelineTransport
  if (l.sink === 'off') return null
  if (l.sink === 'file') transport = new FileTransport(l.file!)
  else transport = new KafkaTransport({ brokers: l.kafkaBrokers!, security: l.kafkaSecurity, topicPrefix: l.topicPrefix, clientId: `model-gateway-${config.instanceId}`, logger })
  return new ScoringPipeline({
    instanceId: config.instanceId,
    models: config.models,
    bufferMaxRecords: l.bufferMaxRecords,
    bufferMaxBytes: l.bufferMaxBytes,
    flushIntervalMs: l.flushIntervalMs,
    rollupFlushMs: l.rollupFlushMs,
    transport,
    shadowMaxOutputBytes: config.shadow.maxOutputBytes,
    hashKey: config.logging.hashKey,
    logger,
    registry
  }).start()
}
