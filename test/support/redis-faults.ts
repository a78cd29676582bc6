// Faults of the launcher's Redis, as a failover or a sick host causes them:
// a write pause (`CLIENT PAUSE … WRITE`, what a failover does), a stall
// (SIGSTOP then SIGCONT: the server neither answers nor drops connections),
// and a crash (SIGKILL; it comes back empty, persistence is off). The time a
// fault is held is the fault itself, not a synchronisation.
import { Redis } from 'ioredis'
import { setTimeout as sleep } from 'node:timers/promises'
import { signalService } from '../../scripts/services/control.js'

/** Pauses every client's writes for `ms` (reads still answer). Resolves once Redis took the pause. */
export async function pauseWrites (redisUrl: string, ms: number): Promise<void> {
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await r.connect()
    await r.call('CLIENT', 'PAUSE', String(ms), 'WRITE')
  } finally {
    r.disconnect()
  }
}

/** Stops the Redis process (SIGSTOP); returns the epoch ms just after. */
export function stopRedis (): number {
  signalService('redis', 'SIGSTOP')
  return Date.now()
}

/** Resumes it (SIGCONT); returns the epoch ms just before, the moment Redis may answer again. */
export function continueRedis (): number {
  const at = Date.now()
  signalService('redis', 'SIGCONT')
  return at
}

export interface FaultLoop {
  /** Faults injected so far, by kind and length. */
  readonly injected: string[]
  /** Ends the loop after the fault in progress (Redis answers again) and resolves then. */
  stop (): Promise<string[]>
}

/**
 * Injects faults one after the other until stopped: `pause` (CLIENT PAUSE WRITE)
 * or `stall` (SIGSTOP/SIGCONT), holding each for the next length of `lengthsMs`
 * (cycling), with `gapMs` of normal service between them.
 */
export function faultLoop (kind: 'pause' | 'stall', redisUrl: string, lengthsMs: readonly number[], gapMs: number): FaultLoop {
  let stopped = false
  const injected: string[] = []
  const run = (async () => {
    for (let i = 0; !stopped; i++) {
      await sleep(gapMs)
      if (stopped) break
      const ms = lengthsMs[i % lengthsMs.length]!
      if (kind === 'pause') {
        await pauseWrites(redisUrl, ms)
        await sleep(ms)
      } else {
        stopRedis()
        try {
          await sleep(ms)
        } finally {
          continueRedis()
        }
      }
      injected.push(`${kind} ${ms} ms`)
    }
  })()
  return {
    injected,
    async stop () {
      stopped = true
      await run
      return injected
    }
  }
}
