import { describe, expect, it } from 'vitest'
import { ProbeSlots } from '../../gateway/health/probe-slots.js'

// At most N probes run at once; the others wait in arrival order and get a
// slot as one is released; shutdown wakes waiters without a slot.

describe('ProbeSlots', () => {
  it('grants N slots at once and the rest in arrival order as slots are released', async () => {
    const slots = new ProbeSlots(2)
    const order: number[] = []
    expect(await slots.acquire()).toBe(true)
    expect(await slots.acquire()).toBe(true)
    const waiting = [3, 4, 5].map(n => slots.acquire().then((granted) => { order.push(n); return granted }))
    await Promise.resolve()
    expect(order).toEqual([])
    slots.release()
    await waiting[0]
    expect(order).toEqual([3])
    slots.release()
    slots.release()
    expect(await Promise.all(waiting)).toEqual([true, true, true])
    expect(order).toEqual([3, 4, 5])
    // Two slots are held (by 4 and 5); once both are released a new acquire is immediate.
    slots.release()
    slots.release()
    expect(await slots.acquire()).toBe(true)
  })

  it('wakes every waiter with false on cancelAll', async () => {
    const slots = new ProbeSlots(1)
    await slots.acquire()
    const w = [slots.acquire(), slots.acquire()]
    slots.cancelAll()
    expect(await Promise.all(w)).toEqual([false, false])
  })
})
