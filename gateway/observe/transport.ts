/** Where the pipeline sends its batches: Kafka, a file, or nowhere. */
import type { BufferedMessage } from './buffer.js'
import type { BinaryMessage } from './ledger.js'

export interface PipelineBatch {
  records: BufferedMessage[]
  rollups: BufferedMessage[]
  health: BufferedMessage[]
  /** Shadow pairs. */
  shadow: BufferedMessage[]
  /** Audit entries and rollout decisions: the control plane's durable record. */
  control: BufferedMessage[]
  /** Assignment-ledger segments (RowBinary), keyed model/version. */
  ledger: BinaryMessage[]
}

export interface PipelineTransport {
  readonly name: string
  /** Resolves once the batch is stored; rejects (soon) when it is not, and the pipeline keeps the batch. */
  send (batch: PipelineBatch): Promise<void>
  close (): Promise<void>
}
