/**
 * Faults that show only in some conditions, so a release can be rehearsed
 * against versions that look fine at first: a cold start (the first requests
 * slower, as a process that loads lazily and compiles on first use), a version
 * that degrades later (after SIGUSR2, e.g. once it has been promoted), and one
 * that fails only for one segment of requests (a request parameter's value).
 */
import type { PredictFn } from '../../server.js'

export interface Rehearsal {
  /** The first this-many calls take coldDelayMs longer. */
  coldRequests?: number | undefined
  coldDelayMs?: number | undefined
  /** After SIGUSR2 this share of calls fails (answered 500). */
  degradedErrorRate?: number | undefined
  /** Calls whose parameters[name] equals value fail at rate. */
  segmentFault?: { name: string, value: string, rate: number } | undefined
}

/** What can change while the process runs. */
export interface RehearsalState {
  degraded: boolean
  served: number
}

export function withRehearsal (predict: PredictFn, r: Rehearsal, state: RehearsalState, random: () => number = Math.random): PredictFn {
  const cold = r.coldRequests ?? 0
  const coldDelay = r.coldDelayMs ?? 0
  const degradedRate = r.degradedErrorRate ?? 0
  const seg = r.segmentFault
  if (cold === 0 && degradedRate === 0 && seg === undefined) return predict
  return async (inputs, ctx) => {
    const n = state.served++
    if (n < cold && coldDelay > 0) await new Promise(resolve => setTimeout(resolve, coldDelay))
    if (state.degraded && random() < degradedRate) throw new Error('injected fault (degraded after SIGUSR2)')
    if (seg !== undefined && String(ctx.parameters?.[seg.name] ?? '') === seg.value && random() < seg.rate) throw new Error(`injected fault (segment ${seg.name}=${seg.value})`)
    return await predict(inputs, ctx)
  }
}

/** "region=eu:0.3" -> { name: 'region', value: 'eu', rate: 0.3 }; null when malformed. */
export function parseSegmentFault (s: string): Rehearsal['segmentFault'] | null {
  const m = /^([A-Za-z0-9_.-]+)=([^:]+):(0(\.\d+)?|1(\.0+)?)$/.exec(s)
  return m === null ? null : { name: m[1]!, value: m[2]!, rate: Number(m[3]) }
}
