/**
 * The config schema of who may score what (`access`), TLS (listeners and
 * model replicas) and redaction: one TypeBox schema per section, joined into
 * the gateway's schema in schema.ts.
 */
import { Type, type Static, type TProperties, type ObjectOptions } from '@sinclair/typebox'
import { NAME_PATTERN } from '../state/names.js'
import { ANY, KEY_HASH_PATTERN } from '../state/access-state.js'

const Strict = <T extends TProperties>(props: T, opts: ObjectOptions = {}) =>
  Type.Object(props, { additionalProperties: false, ...opts })

const Name = Type.String({ pattern: NAME_PATTERN })
const NameOrAny = Type.Union([Name, Type.Literal(ANY)])
const Path = Type.String({ minLength: 1, maxLength: 4096 })

/** A listener's certificate (with its chain) and private key, PEM files; reloaded when they change. */
export const ListenerTlsSchema = Strict({
  cert: Path,
  key: Path
})

/** TLS to a model's replicas (https:// replica URLs): whom to trust, and a client certificate to present. */
export const UpstreamTlsSchema = Strict({
  /** CA bundle the replicas' certificates are checked against (default: the system's). */
  ca: Type.Optional(Path),
  /** Client certificate and key, for replicas that require one. */
  cert: Type.Optional(Path),
  key: Type.Optional(Path),
  /** Name checked against the replicas' certificates, when it is not the URL's host. */
  serverName: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
  /** false: accept any certificate (tests only; logged at start). */
  verify: Type.Optional(Type.Boolean())
})

/** Tensor (input or output) names and `parameters` keys to keep out of recorded bodies. */
export const RedactSchema = Strict({
  /** Removed from recorded requests and responses. */
  drop: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 256 })),
  /** Each value replaced by a keyed hash (logging.hashKey), so analysts can still group and join on it. */
  hash: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 256 }))
})

export const QuotaSchema = Strict({
  /** Requests per second for the whole fleet; each instance enforces its share. */
  rps: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 }),
  /** Requests allowed at once above the rate (default: one second's worth). */
  burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 }))
})

export const KeySchema = Strict({
  name: Name,
  /** `sha256:<hex>` of the key, as `model-gateway keys hash` prints it ... */
  hash: Type.Optional(Type.String({ pattern: KEY_HASH_PATTERN })),
  /** ... or the key itself (use ${ENV_VAR}); hashed at load and never kept. */
  key: Type.Optional(Type.String({ minLength: 16, maxLength: 512 }))
})

export const ApplicationSchema = Strict({
  models: Type.Array(NameOrAny, { minItems: 1, maxItems: 10_000 }),
  /** Versions the application may name explicitly, per model ('*': any); routed requests need none. */
  versions: Type.Optional(Type.Record(Name, Type.Array(NameOrAny, { minItems: 1, maxItems: 1000 }))),
  rights: Type.Optional(Type.Array(Type.Union([Type.Literal('batch'), Type.Literal('outcomes')]), { maxItems: 2 })),
  /** Per model, unless quotas names the model. */
  quota: Type.Optional(QuotaSchema),
  quotas: Type.Optional(Type.Record(Name, QuotaSchema)),
  keys: Type.Optional(Type.Array(KeySchema, { maxItems: 100 }))
})

export const JwtSchema = Strict({
  /** Tokens must name this audience (or one of these). */
  audience: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 16 })]),
  issuer: Type.Optional(Type.String({ minLength: 1 })),
  /** Where the signing keys come from: a JWKS URL (fetched at start and refreshed), a JWKS file, or a shared secret (HS256). */
  jwksUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
  jwksFile: Type.Optional(Path),
  secret: Type.Optional(Type.String({ minLength: 32, maxLength: 1024 })),
  algorithms: Type.Optional(Type.Array(Type.String({ pattern: '^(RS|PS|ES|HS)(256|384|512)$|^EdDSA$' }), { minItems: 1, maxItems: 16 })),
  /** Claim that names the application (default "sub"). */
  applicationClaim: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** Claim used as the sticky key instead of the model's sticky header or cookie. */
  stickyClaim: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  refreshMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 86_400_000 })),
  clockToleranceS: Type.Optional(Type.Integer({ minimum: 0, maximum: 600 }))
})

export const AccessSchema = Strict({
  /** Require an API key or JWT on the data plane (default false). */
  enabled: Type.Optional(Type.Boolean()),
  /** Memory state store: keep applications and keys (hashed) in this file. */
  file: Type.Optional(Path),
  applications: Type.Optional(Type.Record(Name, ApplicationSchema)),
  jwt: Type.Optional(JwtSchema)
})

export type ListenerTlsConfig = Static<typeof ListenerTlsSchema>
export type UpstreamTlsConfig = Static<typeof UpstreamTlsSchema>
export type RedactConfig = Static<typeof RedactSchema>
export type ApplicationConfig = Static<typeof ApplicationSchema>
export type JwtConfig = Static<typeof JwtSchema>
export type AccessConfig = Static<typeof AccessSchema>
