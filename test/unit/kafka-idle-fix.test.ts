import { createRequire } from 'node:module'
import { afterEach, describe, expect, it } from 'vitest'
import { applyKafkaIdleFix } from '../../gateway/observe/kafka-idle-fix.js'
import { eventually } from '../support/eventually.js'

interface Queue {
  pending: unknown[]
  throttledUntil: number
  throttleCheckTimeoutId: unknown
  checkPendingRequests (): void
  destroy (): void
}
type QueueClass = new (o: object) => Queue

const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as QueueClass
const silent = { debug () {}, info () {}, warn () {}, error () {} }
const queues: Queue[] = []

function queue (): Queue {
  const q = new RequestQueue({ maxInFlightRequests: null, requestTimeout: 5_000, enforceRequestTimeout: false, clientId: 'test', broker: '127.0.0.1:9092', logger: silent })
  queues.push(q)
  return q
}

afterEach(() => { for (const q of queues.splice(0)) q.destroy() })

describe('kafkajs request queue with the idle fix', () => {
  it('schedules no further check after checking an empty, unthrottled queue', () => {
    applyKafkaIdleFix()
    const q = queue()
    q.checkPendingRequests()
    expect(q.throttleCheckTimeoutId).toBeNull()
  })

  it('still sends a request held back by a throttle once the throttle is over', async () => {
    applyKafkaIdleFix()
    const q = queue()
    let sent = 0
    q.throttledUntil = Date.now() + 50
    q.pending.push({ correlationId: 1, expectResponse: true, send () { sent++ } })
    q.checkPendingRequests()
    expect(sent).toBe(0)
    await eventually(() => { expect(sent).toBe(1) }, { timeoutMs: 10_000 })
    expect(q.pending).toHaveLength(0)
    expect(q.throttleCheckTimeoutId).toBeNull()
  })
})
