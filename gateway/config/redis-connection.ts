/**
 * The one place a Redis client is made: every client of the gateway (state
 * store, its subscriber, the rollout lease) gets the same TLS and ACL
 * settings this way, and the reason a connection failed is kept, because
 * ioredis reports a refused password as an 'error' event and the command that
 * was waiting only hears "Connection is closed.".
 */
import { Redis, type RedisOptions } from 'ioredis'
import { addressOf, readTlsFiles, type RedisSecurity } from './connections.js'

const lastErrors = new WeakMap<Redis, Error>()

/** A client for `url` with `options`, plus the security settings (which win over credentials in the URL). */
export function createRedis (url: string, security: RedisSecurity, options: RedisOptions): Redis {
  const extra: RedisOptions = {}
  if (security.username !== undefined) extra.username = security.username
  if (security.password !== undefined) extra.password = security.password
  const tlsWanted = security.tls !== null || /^rediss:/i.test(url)
  if (tlsWanted) {
    const files = security.tls ?? {}
    const pem = readTlsFiles(files, 'Redis')
    extra.tls = { ...pem, ...(files.servername === undefined ? {} : { servername: files.servername }) }
  }
  const client = new Redis(url, { ...options, ...extra })
  // prependListener: remembered before any other listener sees it.
  client.prependListener('error', (err: Error) => { lastErrors.set(client, err) })
  return client
}

/** One line: Redis, where, and the real reason (a refused password, a TLS failure), never the password. */
export function describeRedisError (client: Redis, url: string, err: unknown): string {
  const last = lastErrors.get(client)
  const msg = ((err as Error)?.message ?? String(err))
  const reason = /Connection is closed|Stream isn't writeable|max retries/i.test(msg) && last !== undefined ? last.message : msg
  const where = `Redis at ${addressOf(url)}`
  if (/WRONGPASS|NOAUTH|invalid username-password|AUTH.*failed/i.test(reason)) return `${where} refused the credentials (${reason.trim()}); check REDIS_USERNAME / REDIS_PASSWORD (or state.redisUsername / redisPassword)`
  if (/certificate|self[- ]signed|SSL|TLS|EPROTO|wrong version number/i.test(reason)) return `${where}: TLS failed (${reason.trim()}); check the rediss:// URL and REDIS_TLS_CA_FILE`
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|connect/i.test(reason)) return `${where} is not reachable (${reason.trim()}); start Redis or set REDIS_URL / state.redisUrl (or use state.store: memory)`
  return `${where}: ${reason.trim()}`
}
