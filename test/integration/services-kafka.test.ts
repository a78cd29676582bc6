import { randomBytes } from 'node:crypto'
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceEnv } from '../../scripts/services/control.js'

describe('services: Kafka', () => {
  const { KAFKA_BROKERS } = serviceEnv()
  const suffix = randomBytes(6).toString('hex')
  const topic = `services-test-${suffix}`
  const groupId = `services-test-group-${suffix}`
  const kafka = new Kafka({
    clientId: 'services-test',
    brokers: KAFKA_BROKERS.split(','),
    logLevel: logLevel.ERROR
  })
  let admin: Admin
  let producer: Producer
  let consumer: Consumer | undefined

  beforeAll(async () => {
    admin = kafka.admin()
    await admin.connect()
    producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
  })

  afterAll(async () => {
    await consumer?.disconnect()
    await producer.disconnect()
    await admin.deleteTopics({ topics: [topic] }).catch(() => {})
    await admin.deleteGroups([groupId]).catch(() => {})
    await admin.disconnect()
  })

  it('creates a topic, produces 1,000 messages and consumes them all in a consumer group', async () => {
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).toBe(true)

    const sent = new Set<string>()
    for (let batch = 0; batch < 10; batch++) {
      const messages = Array.from({ length: 100 }, (_, i) => {
        const value = `msg-${batch * 100 + i}`
        sent.add(value)
        return { key: `k${i % 7}`, value }
      })
      await producer.send({ topic, messages })
    }
    expect(sent.size).toBe(1000)

    const received = new Set<string>()
    let duplicates = 0
    consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 500 })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out with ${received.size} of 1000 messages`)), 25_000)
      consumer!
        .run({
          eachMessage: async ({ message }) => {
            const v = message.value?.toString() ?? ''
            if (received.has(v)) duplicates++
            received.add(v)
            if (received.size === sent.size) {
              clearTimeout(timer)
              resolve()
            }
          }
        })
        .catch(reject)
    })
    expect(received).toEqual(sent)
    expect(duplicates).toBe(0)

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] })
    expect(offsets[0]?.partitions).toHaveLength(3)
  })
})
