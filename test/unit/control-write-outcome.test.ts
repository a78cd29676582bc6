import { describe, expect, it } from 'vitest'
import { outcomeFrom, PendingWrites, type PendingWrite } from '../../gateway/control/pending-writes.js'
import { parseOps, revisionOfOp } from '../../gateway/control/redis-scripts.js'

// A write's outcome from one read of Redis: its clock and the operation ids the
// state records. Past the deadline on the server the write went to, absence is
// final; a recorded id is final anywhere; everything else waits.

const DEADLINE = 1_000_000

describe('outcome of a write read back from Redis', () => {
  it.each([
    ['recorded before the deadline', 999_000, 42, true, { outcome: 'applied', revision: 42 }],
    ['recorded, read after a reconnect', 1_005_000, 42, false, { outcome: 'applied', revision: 42 }],
    ['absent, Redis clock past the deadline, same server', 1_000_001, null, true, { outcome: 'not-applied', revision: null }],
    ['absent, Redis clock at the deadline (the script may still run)', 1_000_000, null, true, 'wait'],
    ['absent, before the deadline', 999_500, null, true, 'wait'],
    ['absent, past the deadline but read from another server', 1_005_000, null, false, 'wait']
  ] as const)('%s', (_name, now, revision, sameServer, expected) => {
    expect(outcomeFrom(now, DEADLINE, revision, sameServer)).toEqual(expected)
  })

  it('reads the revision a recorded operation wrote, and nothing for another id or a damaged field', () => {
    const ops = parseOps(JSON.stringify(['b7:12', 'a1:11', 'a:10']))
    expect(revisionOfOp(ops, 'a1')).toBe(11)
    expect(revisionOfOp(ops, 'a')).toBe(10)
    expect(revisionOfOp(ops, 'zz')).toBeNull()
    expect(parseOps('{')).toEqual([])
    expect(parseOps(null)).toEqual([])
    expect(parseOps('{}')).toEqual([])
  })
})

describe('pending writes', () => {
  const p = (id: string): PendingWrite => ({ operationId: id, deadline: DEADLINE, action: 'canary', model: 'fraud', actor: 'ops', since: 0, generation: 1, replicaShortfall: false })

  it('answers pending until settled, then the settled outcome', () => {
    const w = new PendingWrites()
    w.add(p('op-1'))
    expect(w.view('op-1')).toMatchObject({ outcome: 'pending', action: 'canary', model: 'fraud' })
    expect(w.views()).toEqual([{ operationId: 'op-1', action: 'canary', model: 'fraud', actor: 'ops', since: new Date(0).toISOString() }])
    w.settle('op-1', { outcome: 'not-applied', revision: null })
    expect(w.size).toBe(0)
    expect(w.view('op-1')).toMatchObject({ outcome: 'not-applied', revision: null, action: 'canary' })
    expect(w.view('op-2')).toBeNull()
  })
})
