import { describe, expect, it } from 'vitest'
import { EXIT_INTERRUPTED, EXIT_REJECTS, exitCode, rejectShare, summarise } from '../../gateway/batch/summary.js'

// Reject accounting and the batch command's exit code: 0 done, 3 done with more
// rejects than --max-reject-share allows, 130 stopped before the end.

describe('batch exit code', () => {
  it('is 0 for a complete job without rejects', () => {
    expect(exitCode({ rows: 100, rejects: 0, complete: true }, 0)).toBe(0)
  })

  it('is 3 for a complete job with one reject under the default share 0', () => {
    expect(EXIT_REJECTS).toBe(3)
    expect(exitCode({ rows: 99, rejects: 1, complete: true }, 0)).toBe(EXIT_REJECTS)
  })

  it('is 3 when the reject share is above --max-reject-share and 0 when it equals it', () => {
    expect(exitCode({ rows: 89, rejects: 11, complete: true }, 0.1)).toBe(EXIT_REJECTS)
    expect(exitCode({ rows: 90, rejects: 10, complete: true }, 0.1)).toBe(0)
  })

  it('is 3 for a job that rejected every row, even with --max-reject-share 0.99', () => {
    expect(exitCode({ rows: 0, rejects: 5, complete: true }, 0.99)).toBe(EXIT_REJECTS)
  })

  it('is 130 for an interrupted job, whatever its rejects', () => {
    expect(EXIT_INTERRUPTED).toBe(130)
    expect(exitCode({ rows: 10, rejects: 0, complete: false }, 0)).toBe(EXIT_INTERRUPTED)
    expect(exitCode({ rows: 0, rejects: 10, complete: false }, 0)).toBe(EXIT_INTERRUPTED)
  })
})

describe('reject accounting', () => {
  it('counts the reject share over rows and rejects, and 0 for an empty job', () => {
    expect(rejectShare({ rows: 75, rejects: 25 })).toBe(0.25)
    expect(rejectShare({ rows: 0, rejects: 0 })).toBe(0)
  })

  it('summarises the checkpoint\'s totals of all runs, with what this run adds', () => {
    const s = summarise({ output: 'out.ndjson', rejects: 'out.rejects.ndjson' }, { rows: 40, rejects: 2 }, true, 1500, { retries: 3, requests: 9, versions: { v1: 12 } })
    expect(s).toEqual({
      rows: 40, rejects: 2, retries: 3, requests: 9, versions: { v1: 12 }, elapsedMs: 1500, rowsPerSecond: 0,
      resumed: true, alreadyDone: false, complete: true, output: 'out.ndjson', rejectsFile: 'out.rejects.ndjson'
    })
    // The CLI prints the summary as one JSON line: its field order is part of the output.
    expect(Object.keys(s)).toEqual(['rows', 'rejects', 'retries', 'requests', 'versions', 'elapsedMs', 'rowsPerSecond', 'resumed', 'alreadyDone', 'complete', 'output', 'rejectsFile'])
  })
})
