/**
 * A job's summary (printed as one JSON line by the CLI) and the exit code it
 * means: a job that scored nothing must not look like a success.
 */
import type { BatchOptions, BatchSummary } from './options.js'

/** Done, but more rows rejected than --max-reject-share allows. */
export const EXIT_REJECTS = 3
/** Stopped by SIGTERM/SIGINT: the checkpoint is written, --resume continues. */
export const EXIT_INTERRUPTED = 130

/** `totals`: rows and rejects written by this job in all runs (the checkpoint's counts). */
export function summarise (o: Pick<BatchOptions, 'output' | 'rejects'>, totals: { rows: number, rejects: number }, resumed: boolean, elapsedMs: number, extra: Partial<BatchSummary>): BatchSummary {
  return {
    rows: totals.rows,
    rejects: totals.rejects,
    retries: 0,
    requests: 0,
    versions: {},
    elapsedMs,
    rowsPerSecond: 0,
    resumed,
    alreadyDone: false,
    complete: true,
    output: o.output,
    rejectsFile: o.rejects,
    ...extra
  }
}

/** Share of the rows read that were rejected (0 when there were none). */
export function rejectShare (s: Pick<BatchSummary, 'rows' | 'rejects'>): number {
  return s.rejects / Math.max(1, s.rows + s.rejects)
}

/** 0 done, EXIT_INTERRUPTED stopped before the end, EXIT_REJECTS more rejects than `maxRejectShare` allows. */
export function exitCode (s: Pick<BatchSummary, 'rows' | 'rejects' | 'complete'>, maxRejectShare: number): 0 | typeof EXIT_REJECTS | typeof EXIT_INTERRUPTED {
  if (!s.complete) return EXIT_INTERRUPTED
  return s.rejects > 0 && rejectShare(s) > maxRejectShare ? EXIT_REJECTS : 0
}
