/** The small schemas the config's parts share (names, ports, durations, shares). */
import { NAME_PATTERN, REPLICA_URL_PATTERN } from '../state/names.js'
import { Type, type TProperties, type ObjectOptions } from '@sinclair/typebox'

/** An object that rejects unknown keys. */
export const Strict = <T extends TProperties>(props: T, opts: ObjectOptions = {}) =>
  Type.Object(props, { additionalProperties: false, ...opts })

export const Port = Type.Integer({ minimum: 0, maximum: 65535 })
export const PositiveMs = Type.Integer({ minimum: 1, maximum: 3_600_000 })
export const Name = Type.String({ pattern: NAME_PATTERN })
export const HeaderName = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]{1,128}$' })
export const CookieName = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]{1,128}$' })
export const BasisPoints = Type.Integer({ minimum: 0, maximum: 10_000 })
export const Rate = Type.Number({ minimum: 0, maximum: 1 })
export const ReplicaUrl = Type.String({ pattern: REPLICA_URL_PATTERN })
/** Label names and values: what policies and scoped admin tokens select models by. */
export const Labels = Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$' }), Type.String({ maxLength: 128 }), { maxProperties: 32 })
