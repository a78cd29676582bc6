import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceEnv } from '../../scripts/services/control.js'

describe('services: Redis', () => {
  const { REDIS_URL } = serviceEnv()
  const prefix = `services-test:${randomUUID()}:`
  let redis: Redis

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
    await redis.connect()
  })

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })

  it('answers PING and round-trips SET/GET', async () => {
    expect(await redis.ping()).toBe('PONG')
    await redis.set(`${prefix}k`, 'v1', 'EX', 60)
    expect(await redis.get(`${prefix}k`)).toBe('v1')
    expect(await redis.incr(`${prefix}n`)).toBe(1)
    expect(await redis.incr(`${prefix}n`)).toBe(2)
  })

  it('delivers pub/sub messages in order', async () => {
    const channel = `${prefix}chan`
    const sub = new Redis(REDIS_URL, { lazyConnect: true })
    await sub.connect()
    try {
      const got: string[] = []
      const done = new Promise<void>((resolve) => {
        sub.on('message', (ch: string, msg: string) => {
          if (ch !== channel) return
          got.push(msg)
          if (got.length === 10) resolve()
        })
      })
      await sub.subscribe(channel)
      const sent = Array.from({ length: 10 }, (_, i) => `m${i}`)
      for (const m of sent) expect(await redis.publish(channel, m)).toBe(1)
      await done
      expect(got).toEqual(sent)
    } finally {
      sub.disconnect()
    }
  })
})
