/**
 * One control-plane event as the durable record keeps it: an audit entry (a
 * routing change, a seed, an operation's outcome) or a rollout decision. The
 * same row is a line of the control-log file, a message on the `<prefix>.control`
 * topic and a row of ClickHouse's `control_log` table, so the record outlives
 * Redis. The entry itself is kept whole as JSON; the other columns are what a
 * reader filters on.
 */
export type ControlKind = 'audit' | 'journal'

export interface ControlRow {
  /** Epoch seconds and the milliseconds within (ClickHouse 18.16 has no DateTime64). */
  time: number
  millis: number
  kind: ControlKind
  /** Identity of the entry: an audit entry's operation id, a decision's own key. */
  id: string
  model: string
  instance_id: string
  action: string
  rollout_id: string
  /** An audit entry's revision after the change; 0 for decisions. */
  revision: number
  /** The entry as JSON. */
  entry: string
}

export interface ControlFacts {
  id: string
  /** Epoch ms. */
  at: number
  model: string | null
  instanceId: string
  action: string
  rolloutId?: string | undefined
  revision?: number | undefined
}

export function controlRow (kind: ControlKind, f: ControlFacts, entry: unknown): ControlRow {
  return {
    time: Math.floor(f.at / 1000),
    millis: f.at % 1000,
    kind,
    id: f.id,
    model: f.model ?? '',
    instance_id: f.instanceId,
    action: f.action,
    rollout_id: f.rolloutId ?? '',
    revision: f.revision ?? 0,
    entry: JSON.stringify(entry)
  }
}

/** Where control rows go besides Redis: the scoring pipeline, a local file. Never throws, never blocks. */
export interface ControlRowSink {
  control (row: ControlRow): void
}
