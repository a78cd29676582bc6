/**
 * kafkajs 2.2.4, its last release, leaves a 1 ms timer loop running on a broker
 * connection from its first answer on (RequestQueue#fulfillRequest checks the
 * queue): RequestQueue#scheduleCheckPendingRequests schedules a check even when
 * nothing is pending, at a negative delay (no throttle is -1), and every check
 * schedules the next. A gateway that had sent anything then spent 2–4% of a
 * core doing nothing, for as long as it ran, and under load the loop ran beside
 * every request; every client made by kafkaClient() (pipeline, outcome intake,
 * sink) gets the fix. Reported upstream (https://github.com/tulios/kafkajs/issues/1556,
 * /issues/1704) with fixes left unmerged. The fix proposed there is applied
 * here: with nothing pending and no throttle in force no check is scheduled; a
 * request queued later schedules its own (RequestQueue#push does).
 */
import { createRequire } from 'node:module'

interface RequestQueueState {
  pending: unknown[]
  throttledUntil: number
}

type Schedule = (this: RequestQueueState) => void

let applied = false

/** Patches kafkajs's RequestQueue once per process; does nothing when its shape is not the one fixed here. */
export function applyKafkaIdleFix (): void {
  if (applied) return
  applied = true
  // The class is internal to kafkajs (CommonJS, no exports map): the same module instance its connections use.
  const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as { prototype: { scheduleCheckPendingRequests?: Schedule } } | undefined
  const proto = RequestQueue?.prototype
  const original = proto?.scheduleCheckPendingRequests
  if (proto === undefined || typeof original !== 'function') return
  proto.scheduleCheckPendingRequests = function (this: RequestQueueState): void {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return
    original.call(this)
  }
}
