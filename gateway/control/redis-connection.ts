/**
 * How the gateway reaches Redis: one URL, or a Redis Sentinel deployment that
 * names the current primary. Every connection the control plane opens (the
 * state store's reader, writer and subscriber, the rollout coordination) is
 * built here with the same failure behaviour: commands fail fast instead of
 * queueing while disconnected, every command settles within
 * REDIS_COMMAND_TIMEOUT_MS, and a command cut off by a dropped connection is
 * never sent again by the client on its own (a write's outcome is read back
 * instead, see redis-write.ts).
 */
import { Redis, type RedisOptions } from 'ioredis'
import type { Logger } from '../observe/log.js'
import { readTlsFiles, type RedisSecurity } from '../config/connections.js'

/** A command that has not answered by then fails: an admin write should get its answer quickly, not hang. */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000
export const REDIS_CONNECT_TIMEOUT_MS = 2_000
/** Reconnect backoff: 100 ms more per attempt, at most this. */
export const REDIS_MAX_RECONNECT_DELAY_MS = 1_000

export interface SentinelTarget {
  /** The primary's name as the sentinels know it (`sentinel monitor <name> …`). */
  name: string
  hosts: Array<{ host: string, port: number }>
  /** Password of the Redis servers (primary and replicas). */
  password?: string | undefined
  /** Password of the sentinels themselves. */
  sentinelPassword?: string | undefined
}

/** Where Redis is: `url`, or `sentinel` (which wins when both are given); and how to authenticate. */
export interface RedisTarget {
  url?: string | undefined
  sentinel?: SentinelTarget | undefined
  /** ACL user, password and TLS of the Redis servers (state.redisUsername, redisPassword, redisTls). */
  security?: RedisSecurity | undefined
}

/**
 * The options a managed Redis asks for: an ACL user and password, TLS (a
 * rediss:// URL, or CA / client certificate files). With Sentinel, TLS is for
 * the servers it names (enableTLSForSentinelMode); the sentinels are reached as
 * configured.
 */
export function securityOptions (target: RedisTarget): Partial<RedisOptions> {
  const sec = target.security
  const out: Partial<RedisOptions> = {}
  if (sec?.username !== undefined) out.username = sec.username
  if (sec?.password !== undefined) out.password = sec.password
  const tls = sec?.tls ?? null
  if (tls !== null || (target.sentinel === undefined && /^rediss:/i.test(target.url ?? ''))) {
    const files = tls ?? {}
    out.tls = { ...readTlsFiles(files, 'Redis'), ...(files.servername === undefined ? {} : { servername: files.servername }) }
    if (target.sentinel !== undefined) out.enableTLSForSentinelMode = true
  }
  return out
}

/**
 * One line: Redis, where, and the real reason — a refused password, a TLS
 * failure, nothing listening — never the password. ioredis reports a refused
 * AUTH as an 'error' event; the command that waited only hears "Connection is
 * closed.", so the client's last error is asked first.
 */
export function describeRedisError (target: RedisTarget, err: unknown, last: Error | undefined): string {
  const msg = (err as Error)?.message ?? String(err)
  const reason = (/Connection is closed|Stream isn't writeable|max retries|connect ETIMEDOUT/i.test(msg) && last !== undefined ? last.message : msg).trim()
  const where = `Redis at ${describeTarget(target)}`
  if (/WRONGPASS|NOAUTH|invalid username-password|AUTH.*failed/i.test(reason)) return `${where} refused the credentials (${reason}); check REDIS_USERNAME / REDIS_PASSWORD (or state.redisUsername / redisPassword)`
  if (/certificate|self[- ]signed|SSL|TLS|EPROTO|wrong version number/i.test(reason)) return `${where}: TLS failed (${reason}); check the rediss:// URL and REDIS_TLS_CA_FILE`
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|connect/i.test(reason)) return `${where} is not reachable (${reason}); start Redis or set REDIS_URL / state.redisUrl (or use state.store: memory)`
  return `${where}: ${reason}`
}

const lastErrors = new WeakMap<Redis, Error>()

/** The last connection error of a client made by redisClient (undefined when none). */
export function lastError (r: Redis): Error | undefined {
  return lastErrors.get(r)
}

/** For logs and errors: where this target points, without passwords. */
export function describeTarget (t: RedisTarget): string {
  if (t.sentinel !== undefined) return `sentinel "${t.sentinel.name}" via ${t.sentinel.hosts.map(h => `${h.host}:${h.port}`).join(', ')}`
  try {
    const u = new URL(t.url ?? '')
    return `${u.protocol}//${u.host}`
  } catch {
    return 'an unparsable Redis URL'
  }
}

/**
 * A client for `target`. `name` becomes the connection's CLIENT SETNAME (seen in
 * CLIENT LIST); `overrides` adjust single options (the subscriber has no command
 * timeout: it only listens).
 */
export function redisClient (target: RedisTarget, name: string, logger: Logger, overrides: Partial<RedisOptions> = {}): Redis {
  const options: RedisOptions = {
    lazyConnect: true,
    // The caller is an operator waiting for an answer or a controller that retries
    // next tick; the data plane never asks. Nothing waits for a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(times * 100, REDIS_MAX_RECONNECT_DELAY_MS),
    connectionName: name,
    ...securityOptions(target),
    ...overrides
  }
  const s = target.sentinel
  const client = s === undefined
    ? new Redis(target.url ?? 'redis://127.0.0.1:6379', options)
    : new Redis({
      ...options,
      sentinels: s.hosts,
      name: s.name,
      password: s.password,
      sentinelPassword: s.sentinelPassword,
      sentinelCommandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      sentinelRetryStrategy: (times) => Math.min(times * 100, REDIS_MAX_RECONNECT_DELAY_MS),
      // Sentinels announce a new primary on +switch-master: reconnect at once instead of waiting for the old one to fail.
      failoverDetector: true
    })
  // ioredis emits 'error' on every failed reconnect; without a listener it would crash the process.
  client.on('error', (err: Error) => {
    lastErrors.set(client, err)
    logger.debug({ err: err.message, connection: name }, 'redis connection error')
  })
  return client
}

/** QUIT when connected (a clean goodbye), else drop the connection. */
export async function quit (r: Redis): Promise<void> {
  if (r.status === 'ready') {
    try {
      await r.quit()
      return
    } catch {
      // fall through to a hard disconnect
    }
  }
  r.disconnect()
}

/** Redis's TIME answer in epoch milliseconds. */
export function redisMs (time: [string, string] | string[]): number {
  return Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000)
}
