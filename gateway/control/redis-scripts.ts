/**
 * The Lua scripts of the Redis state store. Each runs whole or not at all.
 *
 * The state hash `<p>:state` holds: `revision`, `state` (JSON), `op` (the id of
 * the operation that wrote this revision) and `ops` (JSON array of
 * "operationId:revision", newest first, capped): the record of which writes the
 * state contains. It travels with the state when an instance seeds Redis again,
 * so "did operation X apply?" is answered by the state itself.
 */

/** How many operation ids the state keeps (an unknown outcome is read back within seconds; this is hours of admin writes). */
export const OPS_CAP = 256

/**
 * The compare-and-set. KEYS: state, audit. ARGV: expected revision, new state,
 * new revision, audit entry, audit cap, channel, operation id, deadline (epoch
 * ms on Redis's own clock), ops cap.
 *
 * The deadline is why a refused write never applies later: a script that waited
 * behind `CLIENT PAUSE … WRITE` or a stalled server, while the gateway already
 * answered, finds Redis's clock past its deadline and does nothing.
 * Returns {1, revision} stored, {0, current revision} stale, {-1, Redis time} too late.
 */
export const CAS_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[8]) then return {-1, tostring(now)} end
local cur = redis.call('HGET', KEYS[1], 'revision')
if cur == false or cur ~= ARGV[1] then return {0, cur or '0'} end
local raw = redis.call('HGET', KEYS[1], 'ops')
local ops = {}
if raw then ops = cjson.decode(raw) end
table.insert(ops, 1, ARGV[7] .. ':' .. ARGV[3])
while #ops > tonumber(ARGV[9]) do table.remove(ops) end
redis.call('HSET', KEYS[1], 'revision', ARGV[3], 'state', ARGV[2], 'op', ARGV[7], 'ops', cjson.encode(ops))
redis.call('LPUSH', KEYS[2], ARGV[4])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
redis.call('PUBLISH', ARGV[6], ARGV[3])
return {1, ARGV[3]}
`

/**
 * Seeds the state if Redis holds none or an older revision (a restart without
 * persistence, a failover that lost writes). KEYS: state, audit. ARGV: revision,
 * state, channel, op, ops (JSON), audit entry (JSON, or '' for none), audit cap.
 * Returns {1, revision Redis held or ''} seeded, {0, revision Redis holds} not.
 */
export const SEED_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], 'revision')
if cur == false or tonumber(cur) < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'revision', ARGV[1], 'state', ARGV[2], 'op', ARGV[4], 'ops', ARGV[5])
  if ARGV[6] ~= '' then
    redis.call('LPUSH', KEYS[2], ARGV[6])
    redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[7]) - 1)
  end
  redis.call('PUBLISH', ARGV[3], ARGV[1])
  return {1, cur or ''}
end
return {0, cur}
`

/** Adds an audit entry that changes no state (an operation's outcome read back). KEYS: audit. ARGV: entry, cap. */
export const NOTE_SCRIPT = `
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
return 1
`

/** Parses the `ops` field: "operationId:revision" entries, newest first. */
export function parseOps (raw: string | null | undefined): string[] {
  if (raw === null || raw === undefined || raw === '') return []
  try {
    const v = JSON.parse(raw) as unknown
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
  } catch {
    return []
  }
}

/** The revision operation `id` wrote, if `ops` records it. */
export function revisionOfOp (ops: readonly string[], id: string): number | null {
  const prefix = `${id}:`
  for (const o of ops) if (o.startsWith(prefix)) return Number(o.slice(prefix.length))
  return null
}
