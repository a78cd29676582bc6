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

/** PEM files for client-side TLS to a backing service (e.g. mounted from a Kubernetes Secret). */
export const TlsFilesSchema = Strict({
  /** CA bundle that signs the server's certificate (default: the system's CAs). */
  caFile: Type.Optional(Type.String({ minLength: 1 })),
  /** Client certificate and key, for servers that require them (mutual TLS). */
  certFile: Type.Optional(Type.String({ minLength: 1 })),
  keyFile: Type.Optional(Type.String({ minLength: 1 })),
  /** Name to verify in the server's certificate when it differs from the address. */
  servername: Type.Optional(Type.String({ minLength: 1, maxLength: 253 }))
})
